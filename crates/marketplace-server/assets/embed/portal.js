// The customer portal: the marketplace page opened directly at `/portal/{organization_id}`
// (not in an iframe), signed in with the customer user's email and password. This module draws
// what only the portal has: sign-in, the invitation (or password reset) link that sets a
// password, the "forgot password" form, the customer's users and invitations, and its
// attachments. The session is a cookie the script never sees; unsafe requests carry the
// session's CSRF token (see `request` in marketplace.js). Every rule (password length, lockout,
// roles) is the service's: this page shows the problems it answers.
import { h } from './form.js';

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

/** The message of a refused request: the lockout says when to try again. */
function refusal(error) {
  if (error.code === 'too_many_attempts') {
    const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 900) / 60));
    return `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  }
  if (error.code === 'invalid_credentials') return 'Wrong email or password.';
  return error.errors?.[0]?.message ?? error.message;
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
    ctx.app.replaceChildren(card('Set your password',
      h('p', { class: 'mk-muted', text: 'Choose a password to sign in to your integrations.' }),
      h('form', { novalidate: true, 'aria-label': 'Set your password', onsubmit: submitting(async (data) => {
        if (data.get('password') !== data.get('confirm')) { say('The two passwords differ.'); return; }
        const session = await ctx.request('POST', '/api/v1/portal/accept', { body: { token: acceptToken, password: data.get('password'), name: data.get('name') || undefined } });
        ctx.onSession(session);
      }) },
      field('name', 'Your name', { type: 'text', autocomplete: 'name' }),
      field('password', 'Password', { type: 'password', autocomplete: 'new-password', required: true }),
      field('confirm', 'Repeat the password', { type: 'password', autocomplete: 'new-password', required: true }),
      h('button', { type: 'submit', class: 'mk-primary', text: 'Set password and sign in' })),
      alert));
    ctx.app.querySelector('h2').focus();
    return;
  }
  const forgot = h('form', { novalidate: true, hidden: true, 'aria-label': 'Reset your password', onsubmit: submitting(async (data) => {
    await ctx.request('POST', '/api/v1/portal/password-reset', { body: { organization_id: ctx.organizationId, email: data.get('reset-email') } });
    say('If this email has an account, a link to set a new password is on its way.', true);
  }) },
  field('reset-email', 'Your account email', { type: 'email', autocomplete: 'email', required: true }),
  h('button', { type: 'submit', class: 'mk-secondary', text: 'Email me a link' }));
  ctx.app.replaceChildren(card('Sign in',
    h('form', { novalidate: true, 'aria-label': 'Sign in', onsubmit: submitting(async (data) => {
      const session = await ctx.request('POST', '/api/v1/portal/login', { body: { organization_id: ctx.organizationId, email: data.get('email'), password: data.get('password') } });
      ctx.onSession(session);
    }) },
    field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
    field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit', class: 'mk-primary', text: 'Sign in' })),
    h('p', {}, h('button', { type: 'button', class: 'mk-link', text: 'Forgot your password?', onclick: () => { forgot.hidden = false; forgot.querySelector('input').focus(); } })),
    forgot, alert));
  ctx.app.querySelector('h2').focus();
}

/** The signed-in user and a Sign out button, for the navigation bar. */
export function accountBar(session, signOut) {
  return h('span', { class: 'mk-account' },
    h('span', { class: 'mk-muted', text: `${session.user.name || session.user.email} · ${session.customer.name}` }),
    h('button', { type: 'button', class: 'mk-secondary', text: 'Sign out', onclick: signOut }));
}

/** A table, or a muted line when there are no rows. */
function table(heads, rows, empty) {
  return rows.length
    ? h('table', { class: 'mk-table' }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col', text: t })))), h('tbody', {}, rows))
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
  const fail = (error) => message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.errors?.[0]?.message ?? error.message }));
  const remove = (path) => async () => {
    try { await ctx.api('DELETE', path); ctx.route(); } catch (error) { fail(error); }
  };
  const userRows = users.items.map((u) => h('tr', {},
    h('td', { text: u.name ?? '' }), h('td', { text: u.email ?? '' }), h('td', { text: u.role }),
    h('td', { text: u.last_login_at ?? '—' }),
    h('td', {}, admin && u.id !== ctx.session.user.id ? h('button', { type: 'button', class: 'mk-danger', 'aria-label': `Remove ${u.email ?? u.id}`, text: 'Remove', onclick: remove(`/users/${seg(u.id)}`) }) : null)));
  const invitationRows = invitations.items.map((i) => h('tr', {},
    h('td', { text: i.email }), h('td', { text: i.role }), h('td', { text: i.expires_at }),
    h('td', {}, h('button', { type: 'button', class: 'mk-secondary', 'aria-label': `Revoke the invitation of ${i.email}`, text: 'Revoke', onclick: remove(`/invitations/${seg(i.id)}`) }))));
  const invite = admin ? h('form', { class: 'mk-filters', 'aria-label': 'Invite a user', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    try {
      const sent = await ctx.api('POST', '/invitations', { body: { email: data.get('invite-email'), name: data.get('invite-name') || undefined, role: data.get('invite-role') } });
      await usersView(ctx, `Invitation sent to ${sent.email}.`);
    } catch (error) { fail(error); }
  } },
  h('label', { for: 'invite-email', text: 'Email' }), h('input', { id: 'invite-email', name: 'invite-email', type: 'email', required: true }),
  h('label', { for: 'invite-name', text: 'Name' }), h('input', { id: 'invite-name', name: 'invite-name', type: 'text' }),
  h('label', { for: 'invite-role', text: 'Role' }), h('select', { id: 'invite-role', name: 'invite-role' }, h('option', { value: 'viewer', text: 'viewer' }), h('option', { value: 'admin', text: 'admin' })),
  h('button', { type: 'submit', class: 'mk-primary', text: 'Invite' })) : null;
  ctx.show(h('h2', { tabindex: '-1', text: 'Users' }),
    table(['Name', 'Email', 'Role', 'Last sign-in', ''], userRows, 'No user yet.'),
    admin ? [h('h3', { text: 'Invitations' }), table(['Email', 'Role', 'Expires', ''], invitationRows, 'No open invitation.'), invite] : null,
    message);
}

/** A size for people. */
function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The customer's attachments: search, download; admins upload and delete. `ctx`: `{api,
 * download, show, session, route}`. */
export async function attachmentsView(ctx, params) {
  const admin = ctx.session.user.role === 'admin';
  const q = params.get('q') ?? '';
  const page = await ctx.api('GET', `/attachments${q ? `?q=${seg(q)}` : ''}`);
  const message = h('div', { 'aria-live': 'polite' });
  const fail = (error) => message.replaceChildren(h('div', { class: 'mk-alert', role: 'alert', text: error.errors?.[0]?.message ?? error.message }));
  const rows = page.items.map((a) => h('tr', {},
    h('td', {}, h('button', { type: 'button', class: 'mk-link', 'aria-label': `Download ${a.name}`, text: a.name, onclick: () => ctx.download(`/attachments/${seg(a.id)}/content`, a.name).catch(fail) })),
    h('td', { text: a.content_type }), h('td', { text: size(a.size) }), h('td', { text: a.created_at }),
    h('td', {}, admin ? h('button', { type: 'button', class: 'mk-danger', 'aria-label': `Delete ${a.name}`, text: 'Delete', onclick: async () => {
      try { await ctx.api('DELETE', `/attachments/${seg(a.id)}`); ctx.route(); } catch (error) { fail(error); }
    } }) : null)));
  const search = h('input', { id: 'mk-attachment-search', type: 'search', value: q, placeholder: 'Search files' });
  const upload = admin ? h('form', { class: 'mk-filters', 'aria-label': 'Upload a file', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const file = event.target.querySelector('input[type=file]').files[0];
    if (!file) return;
    const data = new FormData();
    data.append('file', file, file.name);
    try { await ctx.api('POST', '/attachments', { form: data }); ctx.route(); } catch (error) { fail(error); }
  } },
  h('label', { for: 'mk-upload', text: 'File to upload' }), h('input', { id: 'mk-upload', type: 'file' }),
  h('button', { type: 'submit', class: 'mk-primary', text: 'Upload' })) : null;
  ctx.show(h('h2', { tabindex: '-1', text: 'Attachments' }),
    h('form', { class: 'mk-filters', role: 'search', onsubmit: (event) => { event.preventDefault(); location.hash = search.value ? `#/attachments?q=${seg(search.value)}` : '#/attachments'; } },
      h('label', { for: 'mk-attachment-search', text: 'Search' }), search, h('button', { type: 'submit', text: 'Search' })),
    table(['Name', 'Type', 'Size', 'Uploaded', ''], rows, q ? 'No file matches.' : 'No file yet.'),
    upload, message);
}
