// The package's `score` under Node: core's listing score from the second WebAssembly module, as
// the service computes it. Each factor counts what the contract says (docs/commerce.md): an
// unsupported latest application version, a negative review past its window without a standing
// dispute, a customer cancellation more than one and at most seven calendar months after
// subscribing (Jan 31 to Feb 28 is exactly one month: not counted; to Aug 31, exactly seven:
// counted); a stricter policy delists; facts of the wrong shape reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const { score } = await import('../pkg/node.js');

const at = (iso) => Date.parse(iso);
const now = at('2025-09-15T00:00:00Z');

/** The service's default policy (`GET /api/v1/scoring-policy` of a new organization). */
const policy = {
  unsupported_version_points: 10, negative_review_points: 5, negative_review_window_days: 30,
  cancellation_period_days: 90, cancellation_count: 5, cancellation_percent: 25, cancellation_percent_from: 20,
  excessive_cancellation_points: 15, misrepresentation_points: 5,
  external_search_threshold: 60, delist_threshold: 40,
};

const facts = {
  applications: [{
    id: 'app_shop', name: 'Shop',
    versions: [['1.0', at('2025-01-01T00:00:00Z')], ['2.0', at('2025-06-01T00:00:00Z')]],
    supported: ['1.0'],
  }],
  reviews: [
    { id: 'rev_open', customer_id: 'cus_c', rating: 1, created_at: at('2025-07-01T00:00:00Z'), dispute: null },
    {
      id: 'rev_disputed', customer_id: 'cus_d', rating: 2, created_at: at('2025-07-01T00:00:00Z'),
      dispute: { filed_at: at('2025-07-02T00:00:00Z'), decided: [true, at('2025-07-05T00:00:00Z')] },
    },
    { id: 'rev_kind', customer_id: 'cus_e', rating: 5, created_at: at('2025-07-01T00:00:00Z'), dispute: null },
  ],
  subscriptions: [
    { id: 'sub_one_month', customer_id: 'cus_a', subscribed_at: at('2025-01-31T10:00:00Z'), returning: false,
      cancelled: [at('2025-02-28T10:00:00Z'), 'customer'] },
    { id: 'sub_seven_months', customer_id: 'cus_b', subscribed_at: at('2025-01-31T10:00:00Z'), returning: false,
      cancelled: [at('2025-08-31T10:00:00Z'), 'customer'] },
    { id: 'sub_by_the_vendor', customer_id: 'cus_f', subscribed_at: at('2025-01-31T10:00:00Z'), returning: false,
      cancelled: [at('2025-04-30T10:00:00Z'), 'organization'] },
    { id: 'sub_active', customer_id: 'cus_g', subscribed_at: at('2025-03-01T00:00:00Z'), returning: false, cancelled: null },
  ],
};

const summary = (report) => report.factors.map((f) => [f.code, f.points, f.items.map((i) => i.id)]);

test('score: each factor counts what it should, and the total gives the visibility', async () => {
  const report = await score(facts, policy, now);
  assert.deepEqual(summary(report), [
    ['unsupported_application_version', -10, ['app_shop']],
    ['negative_reviews', -5, ['rev_open']],
    // The period's customer cancellations are listed; one is short of excessive, so no points.
    ['excessive_cancellations', 0, ['sub_seven_months']],
    ['misrepresentation', -5, ['sub_seven_months']],
  ]);
  assert.deepEqual([report.score, report.visibility], [80, 'visible']);
});

test('score: a stricter policy delists; facts after now are not counted', async () => {
  const strict = { ...policy, misrepresentation_points: 50 };
  const report = await score(facts, strict, now);
  assert.deepEqual([report.score, report.visibility], [35, 'delisted']);
  // In March the seven-month cancellation had not happened, nor version 2.0: only the review
  // written in July... which did not exist either.
  const march = await score(facts, strict, at('2025-03-15T00:00:00Z'));
  assert.deepEqual([march.score, march.visibility], [100, 'visible']);
});

test('score: facts of the wrong shape or a non-integer time reject with invalid_argument', async () => {
  await assert.rejects(score({ reviews: [{ id: 'rev_x' }] }, policy, now), (error) => {
    assert.equal(error.name, 'MarketplaceError');
    assert.equal(error.code, 'invalid_argument');
    assert.match(error.message, /facts/);
    return true;
  });
  await assert.rejects(score(facts, { ...policy, extra: 1 }, now), (error) => error.code === 'invalid_argument' && /policy/.test(error.message));
  await assert.rejects(score(facts, policy, 'today'), (error) => error.code === 'invalid_argument' && /now/.test(error.message));
});
