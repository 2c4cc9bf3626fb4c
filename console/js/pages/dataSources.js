// Data sources: connections list and form (secret write-only, shown as
// "set"), test with latency, schema browser (schemas → tables → columns with
// PK/FK/unique badges), and a query editor with a results grid and maxRows.
import { api } from '../api.js';
import { h, clear, pageHead, withStates, fmtTime, empty, loading, errorState, toast, kv, tabs } from '../ui.js';
import { placeErrors, setFieldError, schemaForm } from '../schemaForm.js';
import { codeEditor } from '../codeEditor.js';
import { go } from '../app.js';

const DEFAULT_MAX_ROWS = 100;
const CONFIG_TEMPLATES = {
  sqlite: { path: '/path/to/database.sqlite' },
  postgres: { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres' },
};

export async function render(main, params, query) {
  if (params.id === 'new') return renderForm(main, null);
  if (params.id) return renderDetail(main, params.id, query);
  const body = h('div');
  main.append(pageHead('Data sources', h('a.button.primary', { href: '#/data-sources/new' }, 'Add connection')), h('div.panel', body));
  withStates(body, () => api('/external-databases'), (data) => {
    const list = data.items;
    if (!list.length) return empty('No connections yet.', ' ', h('a', { href: '#/data-sources/new' }, 'Add one.'));
    return h('div.table-wrap', h('table#connections-table', h('thead', h('tr', h('th', 'Name'), h('th', 'Plugin'), h('th', 'Secret'), h('th.hide-phone', 'Updated'))),
      h('tbody', list.map(c => h('tr', { dataset: { connectionId: c.id, name: c.name } },
        h('td', h('a', { href: `#/data-sources/${c.id}` }, c.name)), h('td', h('span.tag', c.plugin)), h('td', secretBadge(c.secret)), h('td.hide-phone', fmtTime(c.updated_at)))))));
  });
}

function secretBadge(secret) {
  return secret ? h('span.badge.st-ok', { dataset: { secret: 'set' } }, h('span', { 'aria-hidden': 'true' }, '✓'), 'set') : h('span.muted', { dataset: { secret: 'none' } }, 'none');
}

/** Connector plugins with their config JSON Schema (from plugin.list), or the bundled names as a fallback.
 * With the adbc bridge loaded, a "bigquery" type is offered too: an adbc connection to the
 * discovered libadbc_driver_bigquery.so (docs/PLUGINS.md, "BigQuery"). */
async function connectorPlugins() {
  try {
    const list = (await api('/plugins')).items;
    const connectors = list.filter(p => p.kinds.includes('connector'));
    const out = connectors.map(p => ({ name: p.name, schema: p.config_schema && p.config_schema.properties ? p.config_schema : null }));
    if (connectors.some(p => p.name === 'adbc')) {
      const bq = list.find(p => p.state === 'adbc_driver' && /libadbc_driver_bigquery\.so$/.test(p.path));
      out.push({ name: BIGQUERY, schema: null, driver: bq ? bq.path : '' });
    }
    if (out.length) return out;
  } catch { /* fall back to the bundled connectors */ }
  return Object.keys(CONFIG_TEMPLATES).map(name => ({ name, schema: null }));
}

// BigQuery through the ADBC bridge: the form's fields ↔ the adbc plugin's config.
const BIGQUERY = 'bigquery';
const BQ = 'adbc.bigquery.sql.';
function isBigQuery(conn) { return conn && conn.plugin === 'adbc' && conn.config?.database_options?.[`${BQ}project_id`] !== undefined; }
function bigQueryForm(initial, driverPath) {
  const o = initial?.database_options || {};
  const input = (id, value, placeholder) => h(`input#${id}`, { type: 'text', value: value || '', placeholder });
  const driver = input('conn-bq-driver', initial?.driver || driverPath, '/path/to/libadbc_driver_bigquery.so');
  const project = input('conn-bq-project', o[`${BQ}project_id`], 'my-project');
  const dataset = input('conn-bq-dataset', o[`${BQ}dataset_id`], 'my_dataset');
  const location = input('conn-bq-location', o[`${BQ}location`], 'US');
  const auth = h('select#conn-bq-auth', h('option', { value: 'service_account' }, 'Service-account JSON (the secret below)'),
    h('option', { value: 'adc' }, 'Application Default Credentials'));
  auth.value = o[`${BQ}auth_type`] === `${BQ}auth_type.app_default_credentials` ? 'adc' : 'service_account';
  const f = (path, label, control) => h('div.field', { dataset: { path } }, h('label', { for: control.id }, label), control, h('div.field-error', { hidden: true, role: 'alert' }));
  const el = h('div', h('h3', 'BigQuery settings'), f('config.driver', 'ADBC driver', driver), f('config.project_id', 'Project id', project),
    f('config.dataset', 'Dataset', dataset), f('config.location', 'Location', location), f('config.auth', 'Credentials', auth));
  const read = () => {
    const errors = [];
    if (!driver.value.trim()) errors.push({ path: 'config.driver', message: 'the path of libadbc_driver_bigquery.so is required (scripts/adbc-drivers.sh puts it in a plugin directory)' });
    if (!project.value.trim()) errors.push({ path: 'config.project_id', message: 'required' });
    if (errors.length) { const e = new Error('BigQuery settings are incomplete.'); e.errors = errors; throw e; }
    const options = { [`${BQ}project_id`]: project.value.trim(),
      [`${BQ}auth_type`]: auth.value === 'adc' ? `${BQ}auth_type.app_default_credentials` : `${BQ}auth_type.json_credential_string` };
    if (dataset.value.trim()) options[`${BQ}dataset_id`] = dataset.value.trim();
    if (location.value.trim()) options[`${BQ}location`] = location.value.trim();
    const config = { driver: driver.value.trim(), database_options: options };
    if (auth.value !== 'adc') config.secret_option = `${BQ}auth_credentials`;
    return config;
  };
  return { el, read };
}

async function renderForm(main, existing, container) {
  const host = container || main;
  const plugins = await connectorPlugins();
  if (existing && !plugins.some(p => p.name === existing.plugin)) plugins.push({ name: existing.plugin, schema: null });
  const field = (path, label, control, hint) => h('div.field', { dataset: { path } }, h('label', { for: control.id }, label, hint ? h('span.hint', ` — ${hint}`) : null), control, h('div.field-error', { hidden: true, role: 'alert' }));
  const nameIn = h('input#conn-name', { type: 'text', required: true, value: existing?.name || '' });
  const pluginSel = h('select#conn-plugin', plugins.map(p => h('option', { value: p.name }, p.name)));
  pluginSel.value = isBigQuery(existing) && plugins.some(p => p.name === BIGQUERY) ? BIGQUERY : (existing?.plugin || plugins[0].name);
  // Config: a form generated from the connector's JSON Schema when it publishes one, else JSON text.
  const configBox = h('div');
  let readConfig = () => ({});
  const renderConfig = () => {
    const plugin = plugins.find(p => p.name === pluginSel.value);
    const initial = existing && existing.plugin === pluginSel.value ? existing.config : null;
    if (plugin && plugin.name === BIGQUERY) {
      const f = bigQueryForm(isBigQuery(existing) ? existing.config : null, plugin.driver);
      clear(configBox, f.el);
      readConfig = () => f.read();
    } else if (plugin && plugin.schema) {
      const f = schemaForm(null, plugin.schema, initial || {}, { prefix: 'config', idPrefix: 'conn-config' });
      clear(configBox, h('h3', `${plugin.name} settings`), f.el);
      readConfig = () => f.read();
    } else {
      const cfg = codeEditor({ id: 'conn-config', rows: 6, label: 'Config (JSON)', language: 'json',
        value: JSON.stringify(initial ?? CONFIG_TEMPLATES[pluginSel.value] ?? {}, null, 2) });
      clear(configBox, h('div.field', { dataset: { path: 'config' } }, h('label', { for: 'conn-config' }, 'Config', h('span.hint', ' — JSON, passed to the connector')), cfg.el, h('div.field-error', { hidden: true, role: 'alert' })));
      readConfig = () => {
        try { return JSON.parse(cfg.value || '{}'); } catch (ex) { const e = new Error('Config is not valid JSON.'); e.errors = [{ path: 'config', message: `not valid JSON: ${ex.message}` }]; throw e; }
      };
    }
  };
  pluginSel.addEventListener('change', renderConfig);
  renderConfig();
  const secretIn = h('input#conn-secret', { type: 'password', autocomplete: 'new-password', placeholder: existing?.secret ? 'set — leave empty to keep' : 'password or key (optional)' });
  const summary = h('div', { role: 'alert' });
  const saveBtn = h('button.primary#conn-save', { type: 'submit' }, existing ? 'Save' : 'Create connection');
  const form = h('form.panel#connection-form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault(); clear(summary);
    for (const f of form.querySelectorAll('.field')) setFieldError(f, null);
    let config;
    try { config = readConfig(); } catch (ex) { placeErrors(form, ex.errors || [{ path: 'config', message: ex.message }]); return; }
    const payload = { name: nameIn.value.trim(), plugin: pluginSel.value === BIGQUERY ? 'adbc' : pluginSel.value, config };
    if (secretIn.value) payload.secret = secretIn.value;
    saveBtn.disabled = true;
    try {
      const conn = existing ? await api(`/external-databases/${encodeURIComponent(existing.id)}`, { method: 'PUT', body: payload }) : await api('/external-databases', { method: 'POST', body: payload });
      toast(`Saved ${conn.name}.`);
      if (existing) { clear(main); renderDetail(main, existing.id, {}); } else go(`/data-sources/${conn.id}`);
    } catch (ex) {
      const un = placeErrors(form, ex.errors);
      clear(summary, h('div.state.error', ex.message, un.length ? h('ul', un.map(x => h('li', `${x.path}: ${x.message}`))) : null));
    } finally { saveBtn.disabled = false; }
  } },
  h('h2', existing ? 'Edit connection' : 'New connection'),
  field('name', 'Name', nameIn), field('plugin', 'Connector plugin', pluginSel),
  configBox,
  field('secret', 'Secret', secretIn, existing?.secret ? 'currently set; write-only' : 'write-only, sealed at rest'),
  summary, h('div.row', saveBtn, h('a.button', { href: existing ? `#/data-sources/${existing.id}` : '#/data-sources' }, 'Cancel')));
  if (!container) main.append(pageHead(existing ? `Edit ${existing.name}` : 'Add connection'));
  host.append(form);
}

async function renderDetail(main, id, query) {
  const body = h('div');
  main.append(body);
  await withStates(body, () => api(`/external-databases/${encodeURIComponent(id)}`), (conn) => {
    const testOut = h('span#test-result', { role: 'status' });
    const testBtn = h('button#conn-test', { type: 'button', onclick: async () => {
      testBtn.disabled = true; clear(testOut, h('span.spinner', { 'aria-hidden': 'true' }), 'testing…');
      try {
        const r = await api(`/external-databases/${encodeURIComponent(conn.id)}/test`, { method: 'POST', body: {} });
        // {ok, plugin, latency_ms} + server_version (null when the source does not say) or error {kind, message}.
        const detail = r.ok ? (r.server_version ? `server ${r.server_version}` : null) : r.error.message;
        clear(testOut, h(`span.badge.st-${r.ok ? 'ok' : 'error'}`, r.ok ? '✓ connected' : '✗ failed'), ` ${r.latency_ms.toFixed(1)} ms`, detail ? h('span.muted', ` · ${detail}`) : null);
      } catch (e) { clear(testOut, h('span.badge.st-error', '✗ failed'), ` ${e.message}`); }
      finally { testBtn.disabled = false; }
    } }, 'Test connection');
    const out = h('div', pageHead(conn.name, testBtn, testOut,
      h('button.danger', { type: 'button', onclick: async () => {
        if (!confirm(`Delete connection “${conn.name}”?`)) return;
        try { await api(`/external-databases/${encodeURIComponent(conn.id)}`, { method: 'DELETE' }); toast('Deleted.'); go('/data-sources'); } catch (e) { toast(e.message, true); }
      } }, 'Delete')),
    h('div.panel', kv([['Plugin', conn.plugin], ['Secret', secretBadge(conn.secret)], ['Config', h('code', JSON.stringify(conn.config))], ['Created', fmtTime(conn.created_at)], ['Id', h('code', conn.id)]])));
    const t = tabs([['schema', 'Schema'], ['query', 'Query'], ['edit', 'Edit']], (key, panel) => {
      if (key === 'schema') schemaBrowser(panel, conn);
      else if (key === 'query') queryEditor(panel, conn);
      else renderForm(main, conn, panel);
    }, query.tab);
    out.append(h('div.panel', t.el));
    return out;
  });
}

function badge(text, title) { return h('span.tag', { title, dataset: { badge: text } }, text); }

/** Keys of a column, from its table's constraints (plugin.h scan JSON: a column has no key flags of its own). */
function columnKeys(c, constraints) {
  const on = (k) => k.columns.includes(c.name);
  const fkc = constraints.find(k => k.type === 'foreign_key' && on(k));
  const fk = fkc ? { table: fkc.referenced_table, column: fkc.referenced_columns[fkc.columns.indexOf(c.name)] } : null;
  return { pk: constraints.some(k => k.type === 'primary_key' && on(k)), unique: constraints.some(k => k.type === 'unique' && on(k)), fk };
}

function columnItem(c, constraints) {
  const { pk, unique, fk } = columnKeys(c, constraints);
  const fkText = fk ? `${fk.table}.${fk.column}` : '';
  return h('li', { role: 'treeitem', dataset: { column: c.name } },
    h('code', c.name), ' ', h('span.muted.small', c.type),
    c.nullable ? null : h('span.muted.small', ' not null'), ' ',
    pk ? badge('PK', 'primary key') : null,
    fk ? badge('FK', `references ${fkText}`) : null,
    fk ? h('span.muted.small', ` → ${fkText}`) : null,
    unique ? badge('UNIQUE', 'unique') : null);
}

const OPEN_TABLES_UP_TO = 8;

function tableItem(t, open) {
  const summary = h('summary', '▦ ', t.name, t.type !== 'table' ? h('span.muted.small', ` (${t.type})`) : null);
  const cols = h('ul', { role: 'group' }, t.columns.map(c => columnItem(c, t.constraints)));
  return h('li', { role: 'treeitem', dataset: { table: t.name } }, h('details', { open }, summary, cols));
}

function schemaItem(s, open) {
  const tables = s.tables;
  const summary = h('summary', '◆ ', h('strong', s.name || '(default)'), h('span.muted.small', ` ${tables.length} tables`));
  return h('li', { role: 'treeitem', dataset: { schema: s.name || '' } }, h('details', { open }, summary, h('ul', { role: 'group' }, tables.map(t => tableItem(t, tables.length <= OPEN_TABLES_UP_TO)))));
}

function schemaBrowser(panel, conn) {
  withStates(panel, () => api(`/external-databases/${encodeURIComponent(conn.id)}/scan`, { method: 'POST', body: {} }), (r) => {
    const schemas = r.schemas;
    if (!schemas.length) return empty('The connection has no visible schemas.');
    return h('div.tree#schema-tree', h('ul', { role: 'tree', 'aria-label': 'Schema' }, schemas.map(s => schemaItem(s, schemas.length === 1))));
  });
}

function queryEditor(panel, conn) {
  const sql = codeEditor({ id: 'query-sql', rows: 6, label: 'SQL', language: 'sql', value: 'SELECT 1' });
  const maxRows = h('input#query-max-rows', { type: 'number', min: '1', step: '1', value: String(DEFAULT_MAX_ROWS) });
  const paramsIn = h('input#query-params', { type: 'text', placeholder: '[] — JSON array of parameters', 'aria-label': 'Parameters (JSON array)' });
  const out = h('div#query-results', { style: 'margin-top:12px' });
  const runBtn = h('button.primary#query-run', { type: 'submit' }, 'Run query');
  panel.append(h('form', { onsubmit: async (e) => {
    e.preventDefault();
    let params = [];
    if (paramsIn.value.trim()) { try { params = JSON.parse(paramsIn.value); } catch (ex) { clear(out, errorState(new Error(`parameters are not valid JSON: ${ex.message}`))); return; } }
    runBtn.disabled = true; clear(out, loading('Running…'));
    const t0 = performance.now();
    try {
      const r = await api(`/external-databases/${encodeURIComponent(conn.id)}/query`, { method: 'POST', body: { sql: sql.value, params, max_rows: Number(maxRows.value) || DEFAULT_MAX_ROWS } });
      clear(out, resultsGrid(r, performance.now() - t0));
    } catch (ex) { clear(out, errorState(ex)); }
    finally { runBtn.disabled = false; }
  } }, h('div.field', h('label', { for: 'query-sql' }, 'SQL'), sql.el),
  h('div.row', h('label', { for: 'query-max-rows', style: 'margin:0' }, 'Max rows'), maxRows, paramsIn, runBtn)), out);
}

function resultsGrid(r, ms) {
  // {columns: [{name, type, db_type}], rows: [[value, …]], truncated, row_count, elapsed_ms}
  const names = r.columns.map(c => c.name);
  const rows = r.rows;
  const cell = (v) => v === null ? h('span.muted', 'NULL') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return h('div', h('p.small.muted#query-meta', `${rows.length} row${rows.length === 1 ? '' : 's'}${r.truncated ? ' (truncated at max rows)' : ''} · ${Math.round(ms)} ms`),
    rows.length ? h('div.table-wrap', h('table#query-grid', h('thead', h('tr', names.map(n => h('th', n)))),
      h('tbody', rows.map(row => h('tr', row.map(v => h('td.mono', cell(v)))))))) : empty('The query returned no rows.'));
}
