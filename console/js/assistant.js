// The AI assistant panel (issue 19) of the component submit page and the
// builder: a chat with the LLM the user configured (an LLM Prompt Agent
// component with an endpoint or apiKeySecret). POST /assistant/chats sends the
// conversation with the context (the selected type's schema is added by the
// kernel, the draft, the declared connections); the answer streams in token
// by token (SSE); a proposal in it is shown as a diff the user applies or
// rejects — nothing is applied without the click.
import { api } from './api.js';
import { h, clear, lineDiff, pretty } from './ui.js';
import { LiveStream } from './stream.js';

const LLM_TYPE = 'LLM Prompt Agent';
const MAX_LLM_CANDIDATES = 50;

/** LLM Prompt Agent components that point somewhere (endpoint or API key secret). */
async function configuredLLMs() {
  const list = (await api('/components', { query: { type: LLM_TYPE, limit: MAX_LLM_CANDIDATES } })).items;
  const full = await Promise.all(list.map(c => api(`/components/${encodeURIComponent(c.id)}`)));
  return full.filter(c => c.config.endpoint || c.config.apiKeySecret);
}

/**
 * @param {{target:'component'|'workflow', context:()=>Promise<{component_type?:string, draft?:any, connections?:string[]}>|object,
 *          apply:(proposal:object)=>void}} opts
 */
export function assistantPanel({ target, context, apply }) {
  const log = h('div.assistant-log', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Assistant conversation' });
  const input = h('textarea#assistant-input', { rows: 3, dataset: { testid: 'assistant-input' }, 'aria-label': 'Ask the assistant',
    placeholder: target === 'workflow' ? 'Describe the workflow you want, or ask about this one…' : 'Describe the component you want, or ask about this config…' });
  const send = h('button.primary#assistant-send', { type: 'submit' }, 'Send');
  const llmSel = h('select#assistant-llm', { 'aria-label': 'LLM used by the assistant' });
  const setup = h('div#assistant-setup');
  const form = h('form.assistant-form', { onsubmit: (e) => { e.preventDefault(); ask(); } }, input, h('div.row', llmSel, h('span.spacer'), send));
  const panel = h('section.panel.assistant', { dataset: { testid: 'assistant' }, 'aria-labelledby': 'assistant-h' },
    h('h2#assistant-h', 'Assistant'), setup, log, form);
  const messages = [];
  let stream = null;

  configuredLLMs().then((llms) => {
    if (!llms.length) {
      form.hidden = true;
      clear(setup, h('div.state', h('strong', 'No LLM connection is configured.'),
        h('p', 'To use the assistant, create an ', h('a', { href: '#/components/new?type=' + encodeURIComponent(LLM_TYPE) }, 'LLM Prompt Agent component'),
          ' with an endpoint (an OpenAI-compatible …/v1 URL), a model, and an API key secret: apiKeySecret names a connection whose secret is the key (see docs/DEFINITIONS.md).')));
      return;
    }
    clear(llmSel, llms.map(c => h('option', { value: c.id }, `${c.name} (${c.config.model})`)));
  }).catch((e) => clear(setup, h('p.field-error', `Cannot list LLM components: ${e.message}`)));

  function bubble(role, text) {
    const el = h(`div.msg.${role}`, { dataset: { role } }, h('div.msg-text', text));
    log.append(el); log.scrollTop = log.scrollHeight;
    return el;
  }

  async function ask() {
    const text = input.value.trim();
    if (!text || send.disabled) return;
    send.disabled = true;
    bubble('user', text);
    messages.push({ role: 'user', content: text });
    input.value = '';
    const answer = bubble('assistant', '');
    answer.classList.add('streaming');
    const out = answer.querySelector('.msg-text');
    const done = () => { answer.classList.remove('streaming'); send.disabled = false; };
    let ctx;
    try { ctx = await context(); } catch (e) { out.textContent = `Cannot read the draft: ${e.message}`; done(); return; }
    let started;
    try {
      started = await api('/assistant/chats', { method: 'POST', body: { llm: llmSel.value || undefined, messages, target, ...ctx } });
    } catch (e) { answer.classList.add('error'); out.textContent = e.message; messages.pop(); done(); return; }
    let streamed = '';
    stream?.close();
    stream = new LiveStream(`/api/v1/assistant/chats/${encodeURIComponent(started.chat_id)}/stream`, {
      onEvent: ({ type, data }) => {
        if (type === 'token') { streamed += data.text; out.textContent = streamed; log.scrollTop = log.scrollHeight; }
        else if (type === 'result') {
          out.textContent = data.text;
          messages.push({ role: 'assistant', content: data.text });
          if (data.proposal && typeof data.proposal === 'object') answer.append(proposalBox(data.proposal, ctx.draft));
        } else if (type === 'error') { answer.classList.add('error'); out.textContent = (streamed ? streamed + '\n\n' : '') + data.message; }
        else if (type === 'end') done();
      },
      onState: (s) => { answer.dataset.stream = s; },
    });
    stream.start();
  }

  function proposalBox(proposal, draft) {
    const status = h('span.small.muted.proposal-status');
    const applyBtn = h('button.primary#assistant-apply', { type: 'button' }, 'Apply');
    const rejectBtn = h('button#assistant-reject', { type: 'button' }, 'Reject');
    const box = h('div.assistant-proposal', { dataset: { state: 'proposed' } },
      h('strong', target === 'workflow' ? 'Proposed workflow' : 'Proposed config'),
      lineDiff(pretty(draft ?? {}), pretty(proposal)), h('div.row', applyBtn, rejectBtn, status));
    const settle = (state, text) => { box.dataset.state = state; applyBtn.disabled = true; rejectBtn.disabled = true; status.textContent = text; };
    applyBtn.addEventListener('click', () => { apply(proposal); settle('applied', 'Applied to the draft (not saved yet).'); });
    rejectBtn.addEventListener('click', () => settle('rejected', 'Rejected; the draft is unchanged.'));
    return box;
  }

  return { el: panel, close: () => stream?.close() };
}
