// Run detail's Activity tab (issue 19): the audit trail of one run
// (started, cancelled, pinned, taken over…), GET /action-logs?entity_type=workflow_run&entity_id=…
import { api } from '../api.js';
import { h, clear, loading, empty, errorState } from '../ui.js';
import { activityTable } from './audit.js';

const ACTIVITY_LIMIT = 200;

/** The Activity panel; `refresh()` reloads it (after a cancel, say). */
export function runActivity(run, workflowName) {
  const body = h('div', loading());
  const panel = h('section.panel#run-activity', { dataset: { testid: 'run-activity' }, 'aria-labelledby': 'run-activity-h' },
    h('h2#run-activity-h', 'Activity'), body);
  const names = { [run.id]: `run of ${workflowName || run.workflow_id}` };
  if (run.workflow_id && workflowName) names[run.workflow_id] = workflowName;
  async function refresh() {
    try {
      const list = (await api('/action-logs', { query: { entity_type: 'workflow_run', entity_id: run.id, limit: ACTIVITY_LIMIT } })).items;
      clear(body, list.length ? activityTable(list, { names }) : empty('No audit entries for this run.'));
    } catch (e) { clear(body, errorState(e, refresh)); }
  }
  return { el: panel, refresh }; // the run page's Activity tab calls refresh() each time it is shown
}
