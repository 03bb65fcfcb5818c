// sse-client.mjs URL TOKEN [CANCEL_URL CANCEL_TOKEN]: read a task's event
// stream (Server-Sent Events) and print each event as one JSON line, then
// "END" when the server closes the stream.  With CANCEL_URL, POST it (with
// CANCEL_TOKEN) once the first `log` event arrived, and print
// {"cancel": STATUS} -- so a test can cancel a task in the middle of a run.
const [url, token, cancelUrl, cancelToken] = process.argv.slice(2);
const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
if (res.status !== 200) {
  console.log(JSON.stringify({ status: res.status, body: await res.text() }));
  process.exit(1);
}
if (!res.headers.get('content-type').startsWith('text/event-stream')) {
  console.log(JSON.stringify({ error: 'not an event stream' }));
  process.exit(1);
}
const decoder = new TextDecoder();
let text = '', cancelled = false;
for await (const chunk of res.body) {
  text += decoder.decode(chunk, { stream: true });
  let end;
  while ((end = text.indexOf('\n\n')) >= 0) {
    const block = text.slice(0, end);
    text = text.slice(end + 2);
    const type = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    const ev = JSON.parse(data);
    console.log(JSON.stringify({ event: type, ...ev }));
    if (cancelUrl && !cancelled && type === 'log') {
      cancelled = true;
      const c = await fetch(cancelUrl, { method: 'POST', headers: { Authorization: `Bearer ${cancelToken}` } });
      console.log(JSON.stringify({ cancel: c.status, body: await c.json() }));
    }
  }
}
console.log('END');
