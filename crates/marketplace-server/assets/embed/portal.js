// The customer portal: the marketplace page opened directly at `/portal/{organization_id}`
// (not in an iframe), signed in with the customer user's email and password. This module draws
// what only the portal has: sign-in, the invitation (or password reset) link that sets a
// password, the "forgot password" form, the customer's users and invitations, and its
// attachments. The session is a cookie the script never sees; unsafe requests carry the
// session's CSRF token (see `request` in marketplace.js). Every rule (password length, lockout,
// roles) is the service's: this page shows the problems it answers. Every string is a phrase
// (`phrases.js`), dates and numbers in the page's language.
import { h } from './form.js';
import { fieldErrorText, formatDate, formatNumber, language, problemText, t, valueLabel } from './phrases.js';

const seg = encodeURIComponent;

/** Reads the invitation token of an accept link (`/portal/{org}/accept#token=...`), then removes
 * it from the address bar and history so that it is in no later request or screenshot. */
export function takeAcceptToken() {
  if (!location.pathname.endsWith('/accept')) return null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  history.replaceState(null, '', `${location.pathname.slice(0, -'/accept'.length)}#/`);
  return token;
}

/** A titled card holding a form, for the screens shown before sign-in. */
function card(title, ...children) {
  return h('section', { class: 'mk-signin' }, h('h2', { tabindex: '-1', text: title }), ...children);
}

/** A labelled input. */
function field(id, label, attributes) {
  return h('div', { class: 'mk-field' }, h('label', { for: id, text: label }), h('input', { id, name: id, ...attributes }));
}

/** What a refused request says: its first field error (the service's rules: a password too
 * short, an email taken), else its problem. */
const refusalText = (error) => (error.errors?.length ? fieldErrorText(error.errors[0]) : problemText(error));

/** The message of a refused sign-in: the lockout says when to try again. */
function refusal(error) {
  if (error.code === 'too_many_attempts') {
    const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 900) / 60));
    return t(minutes === 1 ? 'portal.tooManyOne' : 'portal.tooMany', { minutes: formatNumber(minutes) });
  }
  if (error.code === 'invalid_credentials') return t('portal.wrongCredentials');
  return refusalText(error);
}

/**
 * The screens before a session: sign-in, set-password (from an accept link) and forgot-password.
 * `ctx`: `{app, organizationId, request, onSession(session)}`.
 */
export function signedOutView(ctx, { acceptToken = null, notice = null } = {}) {
  const alert = h('div', { 'aria-live': 'assertive' });
  const say = (text, ok = false) => alert.replaceChildren(h('div', { class: ok ? 'mk-success' : 'mk-alert', role: ok ? 'status' : 'alert', text }));
  if (notice) say(notice, true);
  const submitting = (handler) => async (event) => {
    event.preventDefault();
    const button = event.target.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await handler(new FormData(event.target));
    } catch (error) {
      say(refusal(error));
    } finally {
      button.disabled = false;
    }
  };
  if (acceptToken) {
    ctx.app.replaceChildren(card(t('portal.setPassword'),
      h('p', { class: 'mk-muted', text: t('portal.setPasswordIntro') }),
      h('form', { novalidate: true, 'aria-label': t('portal.setPassword'), onsubmit: submitting(async (data) => {
        if (data.get('password') !== data.get('confirm')) { say(t('portal.passwordsDiffer')); return; }
        const session = await ctx.request('POST', '/api/v1/portal/accept', { body: { token: acceptToken, password: data.get('password'), name: data.get('name') || undefined } });
        ctx.onSession(session);
      }) },
      field('name', t('portal.yourName'), { type: 'text', autocomplete: 'name' }),
      field('password', t('portal.password'), { type: 'password', autocomplete: 'new-password', required: true }),
      field('confirm', t('portal.repeatPassword'), { type: 'password', autocomplete: 'new-password', required: true }),
      h('button', { type: 'submit', class: 'mk-primary', text: t('portal.setAndSignIn') })),
      alert));
    ctx.app.querySelector('h2').focus();
    return;
  }
  const forgot = h('form', { novalidate: true, hidden: true, 'aria-label': t('portal.resetPassword'), onsubmit: submitting(async (data) => {
    await ctx.request('POST', '/api/v1/portal/password-reset', { body: { organization_id: ctx.organizationId, email: data.get('reset-email') } });
    say(t('portal.resetSent'), true);
  }) },
  field('reset-email', t('portal.accountEmail'), { type: 'email', autocomplete: 'email', required: true }),
  h('button', { type: 'submit', class: 'mk-secondary', text: t('portal.emailLink') }));
  ctx.app.replaceChildren(card(t('portal.signIn'),
    h('form', { novalidate: true, 'aria-label': t('portal.signIn'), onsubmit: submitting(async (data) => {
      const session = await ctx.request('POST', '/api/v1/portal/login', { body: { organization_id: ctx.organizationId, email: data.get('email'), password: data.get('password') } });
      ctx.onSession(session);
    }) },
    field('email', t('portal.email'), { type: 'email', autocomplete: 'username', required: true }),
    field('password', t('portal.password'), { type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'mk-primary', text: t('portal.signIn') })),
    h('p', {}, h('button', { type: 'button', class: 'mk-link', text: t('portal.forgot'), onclick: () => { forgot.hidden = false; forgot.querySelector('input').focus(); } })),
    forgot, alert));
  ctx.app.querySelector('h2').focus();
}

/** The signed-in user and a Sign out button, for the navigation bar. */
export function accountBar(session, signOut) {
  return h('span', { class: 'mk-account' },
    h('span', { class: 'mk-muted', text: `${session.user.name || session.user.email} · ${session.customer.name}` }),
    h('button', { type: 'button', class: 'mk-secondary', text: t('portal.signOut'), onclick: signOut }));
}

/** A table, or a muted line when there are no rows. */
function table(heads, rows, empty) {
  return rows.length
    ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((head) => h('th', { scope: 'col', text: head })))), h('tbody', {}, rows))
    : h('p', { class: 'mk-muted', text: empty });
}

/** The customer's users and open invitations; admins invite and remove. `ctx`: `{api, show,
 * session, route}`; `notice`: a confirmation shown above the lists. */
export async function usersView(ctx, notice = null) {
  const admin = ctx.session.user.role === 'admin';
  const [users, invitations] = await Promise.all([
    ctx.api('GET', '/users'),
    admin ? ctx.api('GET', '/invitations') : Promise.resolve({ items: [] }),
  ]);
  const message = h('div', { 'aria-live': 'polite' }, notice ? h('div', { class: 'mk-success', role: 'status', text: notice }) : null);
  const fail = (error) => message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: refusalText(error) }));
  const remove = (path) => async () => {
    try { await ctx.api('DELETE', path); ctx.route(); } catch (error) { fail(error); }
  };
  const userRows = users.items.map((u) => h('tr', {},
    h('td', { text: u.name ?? '' }), h('td', { text: u.email ?? '' }), h('td', { text: valueLabel('role', u.role) }),
    h('td', {}, u.last_login_at ? h('time', { datetime: u.last_login_at, text: formatDate(u.last_login_at) }) : '—'),
    h('td', {}, admin && u.id !== ctx.session.user.id ? h('button', { type: 'button', class: 'mk-danger', 'aria-label': t('portal.removeNamed', { name: u.email ?? u.id }), text: t('portal.remove'), onclick: remove(`/users/${seg(u.id)}`) }) : null)));
  const invitationRows = invitations.items.map((i) => h('tr', {},
    h('td', { text: i.email }), h('td', { text: valueLabel('role', i.role) }), h('td', {}, h('time', { datetime: i.expires_at, text: formatDate(i.expires_at) })),
    h('td', {}, h('button', { type: 'button', class: 'mk-secondary', 'aria-label': t('portal.revokeInvitation', { email: i.email }), text: t('portal.revoke'), onclick: remove(`/invitations/${seg(i.id)}`) }))));
  const invite = admin ? h('form', { class: 'mk-filters', 'aria-label': t('portal.inviteUser'), novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    try {
      const sent = await ctx.api('POST', '/invitations', { body: { email: data.get('invite-email'), name: data.get('invite-name') || undefined, role: data.get('invite-role') } });
      await usersView(ctx, t('portal.invitationSent', { email: sent.email }));
    } catch (error) { fail(error); }
  } },
  h('label', { for: 'invite-email', text: t('portal.email') }), h('input', { id: 'invite-email', name: 'invite-email', type: 'email', required: true }),
  h('label', { for: 'invite-name', text: t('portal.name') }), h('input', { id: 'invite-name', name: 'invite-name', type: 'text' }),
  h('label', { for: 'invite-role', text: t('portal.role') }), h('select', { id: 'invite-role', name: 'invite-role' }, h('option', { value: 'viewer', text: valueLabel('role', 'viewer') }), h('option', { value: 'admin', text: valueLabel('role', 'admin') })),
  h('button', { type: 'submit', class: 'mk-primary', text: t('portal.invite') })) : null;
  ctx.show(h('h2', { tabindex: '-1', text: t('portal.users') }),
    table([t('portal.name'), t('portal.email'), t('portal.role'), t('portal.lastSignIn'), ''], userRows, t('portal.noUser')),
    admin ? [h('h3', { text: t('portal.invitations') }), table([t('portal.email'), t('portal.role'), t('portal.expires'), ''], invitationRows, t('portal.noInvitation')), invite] : null,
    message);
}

/** A size for people. */
function size(bytes) {
  const one = (n) => new Intl.NumberFormat(language(), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(n);
  if (bytes < 1024) return `${formatNumber(bytes)} B`;
  if (bytes < 1024 * 1024) return `${one(bytes / 1024)} KiB`;
  return `${one(bytes / 1024 / 1024)} MiB`;
}

/** The customer's attachments: search, download; admins upload and delete. `ctx`: `{api,
 * download, show, session, route}`. */
export async function attachmentsView(ctx, params) {
  const admin = ctx.session.user.role === 'admin';
  const q = params.get('q') ?? '';
  const page = await ctx.api('GET', `/attachments${q ? `?q=${seg(q)}` : ''}`);
  const message = h('div', { 'aria-live': 'polite' });
  const fail = (error) => message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: refusalText(error) }));
  const rows = page.items.map((a) => h('tr', {},
    h('td', {}, h('button', { type: 'button', class: 'mk-link', 'aria-label': t('portal.downloadNamed', { name: a.name }), text: a.name, onclick: () => ctx.download(`/attachments/${seg(a.id)}/content`, a.name).catch(fail) })),
    h('td', { text: a.content_type }), h('td', { text: size(a.size) }), h('td', {}, h('time', { datetime: a.created_at, text: formatDate(a.created_at) })),
    h('td', {}, admin ? h('button', { type: 'button', class: 'mk-danger', 'aria-label': t('portal.deleteNamed', { name: a.name }), text: t('portal.delete'), onclick: async () => {
      try { await ctx.api('DELETE', `/attachments/${seg(a.id)}`); ctx.route(); } catch (error) { fail(error); }
    } }) : null)));
  const search = h('input', { id: 'mk-attachment-search', type: 'search', value: q, placeholder: t('portal.searchFiles') });
  const upload = admin ? h('form', { class: 'mk-filters', 'aria-label': t('portal.uploadFile'), novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const file = event.target.querySelector('input[type=file]').files[0];
    if (!file) return;
    const data = new FormData();
    data.append('file', file, file.name);
    try { await ctx.api('POST', '/attachments', { form: data }); ctx.route(); } catch (error) { fail(error); }
  } },
  h('label', { for: 'mk-upload', text: t('portal.fileToUpload') }), h('input', { id: 'mk-upload', type: 'file' }),
  h('button', { type: 'submit', class: 'mk-primary', text: t('portal.upload') })) : null;
  ctx.show(h('h2', { tabindex: '-1', text: t('portal.attachments') }),
    h('form', { class: 'mk-filters', role: 'search', onsubmit: (event) => { event.preventDefault(); location.hash = search.value ? `#/attachments?q=${seg(search.value)}` : '#/attachments'; } },
      h('label', { for: 'mk-attachment-search', text: t('portal.search') }), search, h('button', { type: 'submit', text: t('portal.search') })),
    table([t('portal.name'), t('portal.type'), t('portal.size'), t('portal.uploaded'), ''], rows, q ? t('portal.noFileMatches') : t('portal.noFile')),
    upload, message);
}
