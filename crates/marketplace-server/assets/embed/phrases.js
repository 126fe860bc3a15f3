// The phrase table: every string the marketplace shows, in English and German, for the iframe
// page (`marketplace.js`), the form (`form.js`), the catalog's pieces (`catalog.js`) and apps
// drawing a native marketplace with the npm package. `t(key, params)` gives the phrase of the
// current language with its `{name}` placeholders filled; `setLanguage(lang, overrides)` picks
// the language (`de`, `de-AT`: German; anything else unknown: English) and the host's overrides
// (`{key: phrase}`), which win over the table. Dates and numbers are formatted with `Intl` in the
// same language, and field errors are phrased from their stable `code` (and the variable's own
// bounds), the service's English message being the fallback for a code the table lacks.
//
// One file, two homes, as `form.js`: the service serves it to its iframe page, and
// `cargo xtask wasm` copies it into the npm package. It touches no DOM, so it also runs in Node.

/** The languages shipped, each a complete table (the tests check that `de` has every `en` key). */
export const PHRASES = Object.freeze({
  en: Object.freeze({
    'app.loading': 'Loading…',
    'app.error': 'Something went wrong.',
    'app.retry': 'Retry',
    'app.working': 'Working…',
    'app.back': 'Back',
    'app.next': 'Next',
    'app.page': 'Page {page} of {pages}',
    'app.showMore': 'Show more',
    'app.nothingYet': 'Nothing yet.',
    'nav.label': 'Marketplace',
    'nav.catalog': 'Marketplace',
    'nav.instances': 'My integrations',
    'nav.users': 'Users',
    'nav.attachments': 'Attachments',
    'portal.sessionEnded': 'Your session ended. Sign in again.',
    'portal.tooManyOne': 'Too many failed sign-ins. Try again in {minutes} minute.',
    'portal.tooMany': 'Too many failed sign-ins. Try again in {minutes} minutes.',
    'portal.wrongCredentials': 'Wrong email or password.',
    'portal.setPassword': 'Set your password',
    'portal.setPasswordIntro': 'Choose a password to sign in to your integrations.',
    'portal.passwordsDiffer': 'The two passwords differ.',
    'portal.yourName': 'Your name',
    'portal.password': 'Password',
    'portal.repeatPassword': 'Repeat the password',
    'portal.setAndSignIn': 'Set password and sign in',
    'portal.resetPassword': 'Reset your password',
    'portal.resetSent': 'If this email has an account, a link to set a new password is on its way.',
    'portal.accountEmail': 'Your account email',
    'portal.emailLink': 'Email me a link',
    'portal.signIn': 'Sign in',
    'portal.email': 'Email',
    'portal.forgot': 'Forgot your password?',
    'portal.signOut': 'Sign out',
    'portal.remove': 'Remove',
    'portal.removeNamed': 'Remove {name}',
    'portal.revoke': 'Revoke',
    'portal.revokeInvitation': 'Revoke the invitation of {email}',
    'portal.inviteUser': 'Invite a user',
    'portal.invitationSent': 'Invitation sent to {email}.',
    'portal.name': 'Name',
    'portal.role': 'Role',
    'portal.invite': 'Invite',
    'portal.users': 'Users',
    'portal.lastSignIn': 'Last sign-in',
    'portal.noUser': 'No user yet.',
    'portal.invitations': 'Invitations',
    'portal.expires': 'Expires',
    'portal.noInvitation': 'No open invitation.',
    'portal.downloadNamed': 'Download {name}',
    'portal.delete': 'Delete',
    'portal.deleteNamed': 'Delete {name}',
    'portal.searchFiles': 'Search files',
    'portal.uploadFile': 'Upload a file',
    'portal.fileToUpload': 'File to upload',
    'portal.upload': 'Upload',
    'portal.attachments': 'Attachments',
    'portal.search': 'Search',
    'portal.type': 'Type',
    'portal.size': 'Size',
    'portal.uploaded': 'Uploaded',
    'portal.noFileMatches': 'No file matches.',
    'portal.noFile': 'No file yet.',
    'role.admin': 'admin',
    'role.viewer': 'viewer',
    'portal.signedOut': 'You are signed out.',

    'catalog.title': 'Integrations',
    'catalog.search': 'Search',
    'catalog.searchPlaceholder': 'Search integrations',
    'catalog.category': 'Category',
    'catalog.allCategories': 'All',
    'catalog.allCategoriesOption': 'All categories',
    'catalog.filter': 'Filter',
    'catalog.empty': 'No integrations match',
    'catalog.emptyHint': 'Try another search, category or tier.',
    'catalog.clearFilters': 'Clear filters',
    'catalog.activated': 'Activated',
    'catalog.contactVendor': 'Contact your vendor',
    'catalog.icon': '{name} icon',
    'catalog.cards': 'Integrations ({count})',

    'tier.label': 'Tier',
    'tier.any': 'Any tier',
    'tier.badge': 'Certification tier: {tier}',
    'tier.compatible': 'Compatible',
    'tier.ready': 'Ready',
    'tier.certified': 'Certified',
    'tier.one_click': 'One-click',
    'tier.atLeast.compatible': 'Compatible+',
    'tier.atLeast.ready': 'Ready+',
    'tier.atLeast.certified': 'Certified+',
    'tier.atLeast.one_click': 'One-click',

    'detail.version': 'version {version}',
    'detail.overview': 'Overview',
    'detail.configure': 'Configure {name}',
    'detail.instanceName': 'Instance name',
    'detail.activate': 'Activate',
    'detail.activating': 'Activating…',
    'detail.isActive': '{name} is active.',
    'detail.webhookUrls': 'Webhook URLs:',
    'detail.manage': 'Manage this instance',
    'detail.manageShort': 'Manage it',
    'detail.provider': 'Provider',
    'detail.email': 'Email: ',
    'detail.helpCentre': 'Help centre: ',
    'detail.support': 'Support',
    'detail.applications': 'Supported applications',
    'detail.versions': ' versions {versions}',
    'detail.documentation': 'Documentation',
    'detail.collections': 'Data mappings',
    'detail.collection': 'Collection',
    'detail.recordType': 'Record type',
    'detail.direction': 'Direction',
    'detail.notes': 'Notes',
    'direction.to': 'to',
    'direction.from': 'from',

    'templates.title': 'Ready-made setups',
    'templates.intro': 'Set up by the vendor: activate one in one click, with only your connections to give.',
    'templates.activate': 'Activate',
    'templates.activateNamed': 'Activate {name}',
    'templates.connect': 'Connect {name}',
    'templates.flows': 'Flows: {flows}',
    'templates.nothingToConnect': 'Nothing to connect: the template has everything it needs.',

    'instances.title': 'My integrations',
    'instances.none': 'No integration activated yet.',
    'instances.name': 'Name',
    'instances.integration': 'Integration',
    'instances.status': 'Status',
    'instances.version': 'Version',
    'connection.title': 'Connections',
    'connection.fromInstance': 'Connected from the instance with Connect: a popup asks your account to allow access.',
    'connection.connect': 'Connect',
    'connection.reconnect': 'Reconnect',
    'connection.popupBlocked': 'The popup was blocked: allow popups for this page and try again.',
    'connection.failed': 'Not connected: {reason}',
    'connection.status.not_connected': 'not connected',
    'connection.status.connected': 'connected',
    'connection.status.expired': 'expired',
    'connection.status.error': 'error',
    'instance.summary': '{integration} · version {version}',
    'instance.line': '{integration} · {status} · version {version}',
    'instance.open': 'Open',
    'instance.openNamed': 'Open {name}',
    'instance.pause': 'Pause',
    'instance.resume': 'Resume',
    'instance.deactivate': 'Deactivate',
    'instance.confirmDeactivate': 'Deactivate {name}? Its webhooks stop for good.',
    'instance.yesDeactivate': 'Yes, deactivate',
    'instance.keep': 'Keep it',
    'instance.webhooks': 'Webhook URLs',
    'instance.noWebhook': 'No webhook URL.',
    'instance.configuration': 'Configuration',
    'instance.reconfigure': 'Reconfigure',
    'instance.save': 'Save',
    'instance.saving': 'Saving…',
    'instance.saved': 'Saved.',
    'instance.waiting': 'Waiting for the vendor to confirm',
    'instance.refused': 'The vendor refused the activation',
    'instance.executions': 'Executions',
    'instance.logs': 'Logs',
    'instance.started': 'Started',
    'instance.flow': 'Flow',
    'instance.trigger': 'Trigger',
    'instance.attempts': 'Attempts',
    'instance.at': 'At',
    'instance.severity': 'Severity',
    'instance.type': 'Type',
    'instance.message': 'Message',
    'status.active': 'active',
    'status.paused': 'paused',
    'status.needs_configuration': 'needs configuration',
    'status.pending': 'pending',
    'status.failed': 'failed',
    'status.deactivated': 'deactivated',

    'mappings.title': 'Mappings',
    'mappings.of': 'Mappings of {collection}',
    'mappings.to': 'To',
    'mappings.rule': 'Rule',
    'mappings.notes': 'Notes',
    'mappings.formula': 'Formula',
    'mappings.value': 'Value',
    'mappings.from': 'Source field',
    'mappings.sample': 'Sample input (JSON)',
    'mappings.sampleFor': 'Sample input for {collection}',
    'mappings.preview': 'Preview',
    'mappings.output': 'Output',
    'mappings.noErrors': 'No errors.',
    'mappings.save': 'Save mappings',
    'mappings.saved': 'Mappings saved.',
    'mappings.notJson': 'The sample input is not JSON.',
    'mappings.ruleFormula': 'formula: {formula}',
    'mappings.ruleTable': 'translation of {from}: {table}',
    'mappings.ruleValue': 'value: {value}',
    'mappings.ruleField': 'field {from}',
    'mappings.else': ', else {value}',

    'form.choose': '—',
    'form.oneValuePerLine': 'One value per line',
    'form.pairsPerLine': 'key=value, one pair per line',
    'form.cron': '{label}: cron expression',
    'form.timezone': '{label}: time zone',
    'form.unchanged': '•••••• (unchanged)',
    'form.required': '{label} *',
    'connection.api_key': 'API key',
    'connection.username': 'username',
    'connection.password': 'password',
    'connection.token': 'token',
    'connection.client_id': 'client id',
    'connection.client_secret': 'client secret',
    'connection.token_url': 'token URL',
    'connection.authorize_url': 'authorize URL',
    'connection.scopes': 'scopes',

    'field_error.required': 'A value is required.',
    'field_error.type': 'This value has the wrong type.',
    'field_error.type.integer': 'Enter a whole number.',
    'field_error.type.number': 'Enter a number.',
    'field_error.pattern': 'Must match the pattern {pattern}.',
    'field_error.min': 'Must be at least {min}.',
    'field_error.max': 'Must be at most {max}.',
    'field_error.min_length': 'Must be at least {min_length} characters long.',
    'field_error.max_length': 'Must be at most {max_length} characters long.',
    'field_error.option': 'Must be one of: {options}.',
    'field_error.format': 'This value is not in the expected format.',
    'field_error.format.url': 'Enter an absolute http(s) URL.',
    'field_error.format.email': 'Enter an email address.',
    'field_error.format.date': 'Enter a date (YYYY-MM-DD).',
    'field_error.format.timestamp': 'Enter a date and time (2026-01-31T09:00:00Z).',
    'field_error.format.json': 'Enter valid JSON.',
    'field_error.format.schedule.cron': 'Enter a cron expression of five fields.',
    'field_error.format.schedule.timezone': 'Enter a time zone (Europe/Paris).',
    'field_error.unknown_key': 'This field is not part of the form.',
    'field_error.not_editable': 'You cannot change this value.',
    'field_error.empty': 'This value must not be empty.',

    'problem.not_found': 'Not found: it may have been removed.',
    'problem.not_deployable': 'This integration cannot be activated.',
    'problem.contact_vendor': 'Contact your vendor to activate this integration.',
    'problem.rate_limited': 'Too many requests: try again in a moment.',
    'problem.network': 'The service cannot be reached.',
  }),
  de: Object.freeze({
    'app.loading': 'Wird geladen…',
    'app.error': 'Etwas ist schiefgelaufen.',
    'app.retry': 'Erneut versuchen',
    'app.working': 'Bitte warten…',
    'app.back': 'Zurück',
    'app.next': 'Weiter',
    'app.page': 'Seite {page} von {pages}',
    'app.showMore': 'Mehr anzeigen',
    'app.nothingYet': 'Noch nichts.',
    'nav.label': 'Marktplatz',
    'nav.catalog': 'Marktplatz',
    'nav.instances': 'Meine Integrationen',
    'nav.users': 'Benutzer',
    'nav.attachments': 'Anhänge',
    'portal.sessionEnded': 'Ihre Sitzung ist abgelaufen. Melden Sie sich erneut an.',
    'portal.tooManyOne': 'Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in {minutes} Minute erneut.',
    'portal.tooMany': 'Zu viele fehlgeschlagene Anmeldungen. Versuchen Sie es in {minutes} Minuten erneut.',
    'portal.wrongCredentials': 'Falsche E-Mail-Adresse oder falsches Passwort.',
    'portal.setPassword': 'Passwort festlegen',
    'portal.setPasswordIntro': 'Wählen Sie ein Passwort, um sich bei Ihren Integrationen anzumelden.',
    'portal.passwordsDiffer': 'Die beiden Passwörter stimmen nicht überein.',
    'portal.yourName': 'Ihr Name',
    'portal.password': 'Passwort',
    'portal.repeatPassword': 'Passwort wiederholen',
    'portal.setAndSignIn': 'Passwort festlegen und anmelden',
    'portal.resetPassword': 'Passwort zurücksetzen',
    'portal.resetSent': 'Wenn zu dieser E-Mail-Adresse ein Konto gehört, ist ein Link zum Festlegen eines neuen Passworts unterwegs.',
    'portal.accountEmail': 'E-Mail-Adresse Ihres Kontos',
    'portal.emailLink': 'Link per E-Mail senden',
    'portal.signIn': 'Anmelden',
    'portal.email': 'E-Mail',
    'portal.forgot': 'Passwort vergessen?',
    'portal.signOut': 'Abmelden',
    'portal.remove': 'Entfernen',
    'portal.removeNamed': '{name} entfernen',
    'portal.revoke': 'Widerrufen',
    'portal.revokeInvitation': 'Einladung von {email} widerrufen',
    'portal.inviteUser': 'Benutzer einladen',
    'portal.invitationSent': 'Einladung an {email} gesendet.',
    'portal.name': 'Name',
    'portal.role': 'Rolle',
    'portal.invite': 'Einladen',
    'portal.users': 'Benutzer',
    'portal.lastSignIn': 'Letzte Anmeldung',
    'portal.noUser': 'Noch keine Benutzer.',
    'portal.invitations': 'Einladungen',
    'portal.expires': 'Läuft ab',
    'portal.noInvitation': 'Keine offene Einladung.',
    'portal.downloadNamed': '{name} herunterladen',
    'portal.delete': 'Löschen',
    'portal.deleteNamed': '{name} löschen',
    'portal.searchFiles': 'Dateien suchen',
    'portal.uploadFile': 'Datei hochladen',
    'portal.fileToUpload': 'Hochzuladende Datei',
    'portal.upload': 'Hochladen',
    'portal.attachments': 'Anhänge',
    'portal.search': 'Suchen',
    'portal.type': 'Typ',
    'portal.size': 'Größe',
    'portal.uploaded': 'Hochgeladen',
    'portal.noFileMatches': 'Keine Datei passt.',
    'portal.noFile': 'Noch keine Dateien.',
    'role.admin': 'Administrator',
    'role.viewer': 'Betrachter',
    'portal.signedOut': 'Sie sind abgemeldet.',

    'catalog.title': 'Integrationen',
    'catalog.search': 'Suche',
    'catalog.searchPlaceholder': 'Integrationen suchen',
    'catalog.category': 'Kategorie',
    'catalog.allCategories': 'Alle',
    'catalog.allCategoriesOption': 'Alle Kategorien',
    'catalog.filter': 'Filtern',
    'catalog.empty': 'Keine passenden Integrationen',
    'catalog.emptyHint': 'Versuchen Sie eine andere Suche, Kategorie oder Stufe.',
    'catalog.clearFilters': 'Filter zurücksetzen',
    'catalog.activated': 'Aktiviert',
    'catalog.contactVendor': 'Anbieter kontaktieren',
    'catalog.icon': 'Symbol von {name}',
    'catalog.cards': 'Integrationen ({count})',

    'tier.label': 'Stufe',
    'tier.any': 'Jede Stufe',
    'tier.badge': 'Zertifizierungsstufe: {tier}',
    'tier.compatible': 'Kompatibel',
    'tier.ready': 'Bereit',
    'tier.certified': 'Zertifiziert',
    'tier.one_click': 'Ein Klick',
    'tier.atLeast.compatible': 'Kompatibel+',
    'tier.atLeast.ready': 'Bereit+',
    'tier.atLeast.certified': 'Zertifiziert+',
    'tier.atLeast.one_click': 'Ein Klick',

    'detail.version': 'Version {version}',
    'detail.overview': 'Überblick',
    'detail.configure': '{name} konfigurieren',
    'detail.instanceName': 'Name der Instanz',
    'detail.activate': 'Aktivieren',
    'detail.activating': 'Wird aktiviert…',
    'detail.isActive': '{name} ist aktiv.',
    'detail.webhookUrls': 'Webhook-URLs:',
    'detail.manage': 'Diese Instanz verwalten',
    'detail.manageShort': 'Verwalten',
    'detail.provider': 'Anbieter',
    'detail.email': 'E-Mail: ',
    'detail.helpCentre': 'Hilfe-Center: ',
    'detail.support': 'Support',
    'detail.applications': 'Unterstützte Anwendungen',
    'detail.versions': ' Versionen {versions}',
    'detail.documentation': 'Dokumentation',
    'detail.collections': 'Datenzuordnungen',
    'detail.collection': 'Sammlung',
    'detail.recordType': 'Datensatztyp',
    'detail.direction': 'Richtung',
    'detail.notes': 'Hinweise',
    'direction.to': 'nach',
    'direction.from': 'von',

    'templates.title': 'Fertige Einrichtungen',
    'templates.intro': 'Vom Anbieter eingerichtet: mit einem Klick aktivieren, nur Ihre Verbindungen sind anzugeben.',
    'templates.activate': 'Aktivieren',
    'templates.activateNamed': '{name} aktivieren',
    'templates.connect': '{name} verbinden',
    'templates.flows': 'Abläufe: {flows}',
    'templates.nothingToConnect': 'Nichts zu verbinden: die Vorlage hat alles, was sie braucht.',

    'instances.title': 'Meine Integrationen',
    'instances.none': 'Noch keine Integration aktiviert.',
    'instances.name': 'Name',
    'instances.integration': 'Integration',
    'instances.status': 'Status',
    'instances.version': 'Version',
    'connection.title': 'Verbindungen',
    'connection.fromInstance': 'Wird in der Instanz mit „Verbinden“ verbunden: Ein Pop-up fragt Ihr Konto nach der Freigabe.',
    'connection.connect': 'Verbinden',
    'connection.reconnect': 'Neu verbinden',
    'connection.popupBlocked': 'Das Pop-up wurde blockiert: Erlauben Sie Pop-ups für diese Seite und versuchen Sie es erneut.',
    'connection.failed': 'Nicht verbunden: {reason}',
    'connection.status.not_connected': 'nicht verbunden',
    'connection.status.connected': 'verbunden',
    'connection.status.expired': 'abgelaufen',
    'connection.status.error': 'Fehler',
    'instance.summary': '{integration} · Version {version}',
    'instance.line': '{integration} · {status} · Version {version}',
    'instance.open': 'Öffnen',
    'instance.openNamed': '{name} öffnen',
    'instance.pause': 'Pausieren',
    'instance.resume': 'Fortsetzen',
    'instance.deactivate': 'Deaktivieren',
    'instance.confirmDeactivate': '{name} deaktivieren? Seine Webhooks enden endgültig.',
    'instance.yesDeactivate': 'Ja, deaktivieren',
    'instance.keep': 'Behalten',
    'instance.webhooks': 'Webhook-URLs',
    'instance.noWebhook': 'Keine Webhook-URL.',
    'instance.configuration': 'Konfiguration',
    'instance.reconfigure': 'Neu konfigurieren',
    'instance.save': 'Speichern',
    'instance.saving': 'Wird gespeichert…',
    'instance.saved': 'Gespeichert.',
    'instance.waiting': 'Wartet auf die Bestätigung des Anbieters',
    'instance.refused': 'Der Anbieter hat die Aktivierung abgelehnt',
    'instance.executions': 'Ausführungen',
    'instance.logs': 'Protokolle',
    'instance.started': 'Gestartet',
    'instance.flow': 'Ablauf',
    'instance.trigger': 'Auslöser',
    'instance.attempts': 'Versuche',
    'instance.at': 'Zeit',
    'instance.severity': 'Schweregrad',
    'instance.type': 'Typ',
    'instance.message': 'Meldung',
    'status.active': 'aktiv',
    'status.paused': 'pausiert',
    'status.needs_configuration': 'Konfiguration nötig',
    'status.pending': 'ausstehend',
    'status.failed': 'fehlgeschlagen',
    'status.deactivated': 'deaktiviert',

    'mappings.title': 'Zuordnungen',
    'mappings.of': 'Zuordnungen von {collection}',
    'mappings.to': 'Ziel',
    'mappings.rule': 'Regel',
    'mappings.notes': 'Hinweise',
    'mappings.formula': 'Formel',
    'mappings.value': 'Wert',
    'mappings.from': 'Quellfeld',
    'mappings.sample': 'Beispieleingabe (JSON)',
    'mappings.sampleFor': 'Beispieleingabe für {collection}',
    'mappings.preview': 'Vorschau',
    'mappings.output': 'Ausgabe',
    'mappings.noErrors': 'Keine Fehler.',
    'mappings.save': 'Zuordnungen speichern',
    'mappings.saved': 'Zuordnungen gespeichert.',
    'mappings.notJson': 'Die Beispieleingabe ist kein JSON.',
    'mappings.ruleFormula': 'Formel: {formula}',
    'mappings.ruleTable': 'Übersetzung von {from}: {table}',
    'mappings.ruleValue': 'Wert: {value}',
    'mappings.ruleField': 'Feld {from}',
    'mappings.else': ', sonst {value}',

    'form.choose': '—',
    'form.oneValuePerLine': 'Ein Wert pro Zeile',
    'form.pairsPerLine': 'Schlüssel=Wert, ein Paar pro Zeile',
    'form.cron': '{label}: Cron-Ausdruck',
    'form.timezone': '{label}: Zeitzone',
    'form.unchanged': '•••••• (unverändert)',
    'form.required': '{label} *',
    'connection.api_key': 'API-Schlüssel',
    'connection.username': 'Benutzername',
    'connection.password': 'Passwort',
    'connection.token': 'Token',
    'connection.client_id': 'Client-ID',
    'connection.client_secret': 'Client-Geheimnis',
    'connection.token_url': 'Token-URL',
    'connection.authorize_url': 'Autorisierungs-URL',
    'connection.scopes': 'Bereiche',

    'field_error.required': 'Ein Wert ist erforderlich.',
    'field_error.type': 'Dieser Wert hat den falschen Typ.',
    'field_error.type.integer': 'Geben Sie eine ganze Zahl ein.',
    'field_error.type.number': 'Geben Sie eine Zahl ein.',
    'field_error.pattern': 'Muss dem Muster {pattern} entsprechen.',
    'field_error.min': 'Muss mindestens {min} sein.',
    'field_error.max': 'Darf höchstens {max} sein.',
    'field_error.min_length': 'Muss mindestens {min_length} Zeichen lang sein.',
    'field_error.max_length': 'Darf höchstens {max_length} Zeichen lang sein.',
    'field_error.option': 'Muss einer der Werte sein: {options}.',
    'field_error.format': 'Dieser Wert hat nicht das erwartete Format.',
    'field_error.format.url': 'Geben Sie eine absolute http(s)-URL ein.',
    'field_error.format.email': 'Geben Sie eine E-Mail-Adresse ein.',
    'field_error.format.date': 'Geben Sie ein Datum ein (JJJJ-MM-TT).',
    'field_error.format.timestamp': 'Geben Sie Datum und Uhrzeit ein (2026-01-31T09:00:00Z).',
    'field_error.format.json': 'Geben Sie gültiges JSON ein.',
    'field_error.format.schedule.cron': 'Geben Sie einen Cron-Ausdruck mit fünf Feldern ein.',
    'field_error.format.schedule.timezone': 'Geben Sie eine Zeitzone ein (Europe/Berlin).',
    'field_error.unknown_key': 'Dieses Feld gehört nicht zum Formular.',
    'field_error.not_editable': 'Diesen Wert können Sie nicht ändern.',
    'field_error.empty': 'Dieser Wert darf nicht leer sein.',

    'problem.not_found': 'Nicht gefunden: es wurde vielleicht entfernt.',
    'problem.not_deployable': 'Diese Integration kann nicht aktiviert werden.',
    'problem.contact_vendor': 'Wenden Sie sich an Ihren Anbieter, um diese Integration zu aktivieren.',
    'problem.rate_limited': 'Zu viele Anfragen: versuchen Sie es gleich noch einmal.',
    'problem.network': 'Der Dienst ist nicht erreichbar.',
  }),
});

let current = 'en';
let overrides = {};

/** The shipped language a BCP 47 tag asks for (`de-CH`: `de`); English when none fits. */
export function pickLanguage(lang) {
  if (typeof lang !== 'string') return 'en';
  const base = lang.trim().toLowerCase().split(/[-_]/)[0];
  return Object.hasOwn(PHRASES, base) ? base : 'en';
}

/**
 * Sets the language (`lang`, a BCP 47 tag) and the host's overrides (`{key: phrase}`, which win
 * over the table; keys of no phrase are kept for phrases a newer page may add). Returns the
 * language chosen.
 */
export function setLanguage(lang, phraseOverrides = {}) {
  current = pickLanguage(lang);
  overrides = {};
  for (const [key, phrase] of Object.entries(phraseOverrides ?? {})) {
    if (typeof phrase === 'string') overrides[key] = phrase;
  }
  return current;
}

/** The language in use (`en`, `de`). */
export const language = () => current;

/** Whether a key has a phrase (an override, the language's, or the English one). */
export const hasPhrase = (key) => Object.hasOwn(overrides, key) || Object.hasOwn(PHRASES[current], key) || Object.hasOwn(PHRASES.en, key);

/** Fills `{name}` placeholders; a placeholder without its parameter stays as written. */
const fill = (phrase, params) => phrase.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined || params[name] === null ? whole : String(params[name])));

/**
 * The phrase of `key` in the current language with `params` filled in: the host's override,
 * else the language's phrase, else the English one, else the key itself.
 */
export function t(key, params = {}) {
  return fill(phraseOf(key), params);
}

/** The phrase of `key` before its placeholders are filled. */
const phraseOf = (key) => overrides[key] ?? PHRASES[current][key] ?? PHRASES.en[key] ?? key;

/** The phrase of an enumerated wire value (`status.active`), or the value as sent, underscores
 * read as spaces, when the table does not know it (a newer service). */
export const valueLabel = (prefix, value) => (hasPhrase(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : String(value ?? '').replace(/_/g, ' '));

/** A timestamp (RFC 3339 text or a Date) as a date and time of the current language; text that
 * is no date is returned as it is. */
export function formatDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (value === null || value === undefined || Number.isNaN(date.getTime())) return value ?? '';
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A number in the current language's notation. */
export const formatNumber = (value) => (typeof value === 'number' ? new Intl.NumberFormat(current).format(value) : String(value ?? ''));

/**
 * A field error (`{path, code, message}`) in the current language, phrased from its stable
 * `code` and the bounds of `variable` (the spec's variable it belongs to, if known): the phrase
 * for the code and the variable's type and sub-field (`format.schedule.cron`), else for the code
 * and type, else for the code. A code the table lacks, or a phrase needing a bound the variable
 * does not give, falls back to the service's message. An error on a part of the value (a
 * connection's `client_id`) names that part first.
 */
export function fieldErrorText(error, variable = null) {
  const parts = String(error.path ?? '').split('/').slice(1);
  const sub = parts.length > 1 ? parts[parts.length - 1] : null;
  const type = variable?.type;
  const candidates = [
    type && sub ? `field_error.${error.code}.${type}.${sub}` : null,
    type ? `field_error.${error.code}.${type}` : null,
    `field_error.${error.code}`,
  ].filter(Boolean);
  const key = candidates.find(hasPhrase);
  const params = {
    min: typeof variable?.min === 'number' ? formatNumber(variable.min) : variable?.min,
    max: typeof variable?.max === 'number' ? formatNumber(variable.max) : variable?.max,
    min_length: variable?.min_length,
    max_length: variable?.max_length,
    pattern: variable?.pattern,
    options: variable?.options?.length ? variable.options.join(', ') : undefined,
  };
  // An unknown code, or a phrase needing a bound the variable lacks: the service's message.
  const fits = key && [...phraseOf(key).matchAll(/\{(\w+)\}/g)].every(([, name]) => params[name] !== undefined && params[name] !== null);
  const text = fits ? t(key, params) : error.message;
  const specific = key && sub && key.endsWith(`.${sub}`);
  return sub && !specific && variable ? `${valueLabel('connection', sub)}: ${text}` : text;
}

/** An API error's text: the phrase of its problem `code` when the table has one, else its
 * message (the service's `detail`). */
export const problemText = (error) => (error?.code && hasPhrase(`problem.${error.code}`) ? t(`problem.${error.code}`) : String(error?.message ?? t('app.error')));
