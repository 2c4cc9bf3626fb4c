// Live SSE subscription with lossless resume. Uses the browser's EventSource
// (which reconnects by itself and sends Last-Event-ID); when a token is
// needed (EventSource cannot send headers) it reads the same stream through
// fetch. Either way every event carries the per-run `seq` as its id: events
// at or below the last seen seq are dropped, so a reconnect never doubles a
// line, and a reconnect asks for `after=<last seq>`, so none is lost.
import { token, authHeaders } from './api.js';

export const STREAM_EVENT_TYPES = ['status_change', 'log', 'progress', 'result_preview', 'result', 'artifact', 'error', 'end', 'message', 'token'];
const RECONNECT_DELAY_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 10_000;

/** States of one LiveStream (explicit state machine). */
export const StreamState = Object.freeze({ connecting: 'connecting', open: 'open', reconnecting: 'reconnecting', ended: 'ended', closed: 'closed' });

export class LiveStream {
  /**
   * @param {string} url  SSE endpoint
   * @param {{onEvent:(ev:{id:number|null,type:string,data:any})=>void, onState?:(s:string)=>void, afterSeq?:number, dedupe?:boolean, endsStream?:boolean}} opts
   *   `endsStream: false` for multi-run feeds (/api/v1/events), where an `end`
   *   event ends one run, not the stream.
   */
  constructor(url, { onEvent, onState = () => {}, afterSeq = 0, dedupe = true, endsStream = true }) {
    this.url = url; this.onEvent = onEvent; this.onStateCb = onState;
    this.lastSeq = afterSeq; this.dedupe = dedupe; this.endsStream = endsStream;
    this.state = StreamState.closed; this.es = null; this.abort = null; this.timer = null;
    this.delay = RECONNECT_DELAY_MS; this.reconnects = 0;
  }

  setState(s) { this.state = s; this.onStateCb(s); }

  urlWithAfter() {
    if (!this.dedupe || !this.lastSeq) return this.url;
    return this.url + (this.url.includes('?') ? '&' : '?') + 'after=' + encodeURIComponent(this.lastSeq);
  }

  start() {
    if (this.state === StreamState.ended) return;
    this.setState(this.reconnects ? StreamState.reconnecting : StreamState.connecting);
    if (token()) this.startFetch(); else this.startEventSource();
  }

  deliver(type, idText, dataText) {
    const id = idText !== undefined && idText !== null && idText !== '' ? Number(idText) : null;
    if (this.dedupe && id !== null && Number.isFinite(id)) {
      if (id <= this.lastSeq) return; // already shown before a reconnect
      this.lastSeq = id;
    }
    let data = dataText;
    try { data = JSON.parse(dataText); } catch { /* plain text */ }
    this.onEvent({ id, type, data });
    if (type === 'end' && this.endsStream) this.finish();
  }

  startEventSource() {
    const es = new EventSource(this.urlWithAfter());
    this.es = es;
    es.onopen = () => { this.delay = RECONNECT_DELAY_MS; this.setState(StreamState.open); };
    // The SSE event type `error` shares its name with EventSource's own connection
    // error event: only MessageEvents carry data from the kernel.
    for (const t of STREAM_EVENT_TYPES) es.addEventListener(t, (e) => { if (e instanceof MessageEvent) this.deliver(t, e.lastEventId, e.data); });
    es.onerror = () => {
      if (this.state === StreamState.ended || this.state === StreamState.closed) return;
      // The browser retries by itself while readyState is CONNECTING; if it gave
      // up (CLOSED), reconnect ourselves from the last seq.
      if (es.readyState === EventSource.CLOSED) this.scheduleReconnect();
      else if (this.state !== StreamState.reconnecting) { this.reconnects++; this.setState(StreamState.reconnecting); }
    };
  }

  async startFetch() {
    const ctrl = new AbortController();
    this.abort = ctrl;
    try {
      const headers = { Accept: 'text/event-stream', ...authHeaders() };
      if (this.lastSeq) headers['Last-Event-ID'] = String(this.lastSeq);
      const res = await fetch(this.urlWithAfter(), { headers, signal: ctrl.signal });
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      this.delay = RECONNECT_DELAY_MS; this.setState(StreamState.open);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let ev = { type: 'message', id: undefined, data: [] };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
          if (line === '') {
            if (ev.data.length) this.deliver(ev.type, ev.id, ev.data.join('\n'));
            ev = { type: 'message', id: undefined, data: [] };
            if (this.state === StreamState.ended) { ctrl.abort(); return; }
            continue;
          }
          if (line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          let val = i < 0 ? '' : line.slice(i + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'event') ev.type = val;
          else if (field === 'data') ev.data.push(val);
          else if (field === 'id') ev.id = val;
        }
      }
      if (this.state !== StreamState.ended && this.state !== StreamState.closed) this.scheduleReconnect();
    } catch (e) {
      if (ctrl.signal.aborted) return;
      this.scheduleReconnect();
    }
  }

  scheduleReconnect() {
    this.teardown();
    if (this.state === StreamState.ended || this.state === StreamState.closed) return;
    this.setState(StreamState.reconnecting);
    this.reconnects++;
    this.timer = setTimeout(() => this.start(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_RECONNECT_DELAY_MS);
  }

  /** Drops the current connection and reconnects from the last seq (as after a network drop). */
  reconnectNow() {
    if (this.state === StreamState.ended || this.state === StreamState.closed) return;
    this.teardown();
    this.reconnects++;
    this.start();
  }

  teardown() {
    if (this.es) { this.es.close(); this.es = null; }
    if (this.abort) { this.abort.abort(); this.abort = null; }
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
  }

  finish() { this.teardown(); this.setState(StreamState.ended); }
  close() { this.teardown(); if (this.state !== StreamState.ended) this.setState(StreamState.closed); }
}

/**
 * Reads one event of the dashboard-wide feed (/api/v1/events: status_change
 * and end events of every run) as a run update {id, status, workflow_id}, or
 * null for events about steps.
 */
export function runUpdate(data) {
  // One RunEvent {run_id, seq, type, step_id, payload, at}; a step's events have a step_id.
  if (data.step_id) return null;
  const p = data.payload;
  const out = { id: data.run_id, status: p.status };
  if (p.workflow_id) out.workflow_id = p.workflow_id;
  if (p.status === 'running') out.started_at = data.at;
  if (['succeeded', 'failed', 'cancelled', 'timed_out'].includes(p.status)) out.finished_at = data.at;
  return out;
}
