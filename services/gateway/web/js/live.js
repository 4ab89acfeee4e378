// GraphQL subscriptions over WebSocket (graphql-transport-ws), reconnecting with backoff.
// While the socket is down the page says "reconnecting…"; when it is back, `onResync` lets the
// page fetch what it missed.

const banner = () => document.getElementById('connection');

function setBanner(text) {
  const el = banner();
  if (!el) return;
  el.textContent = text || '';
  el.hidden = !text;
}

export function subscribe(query, variables, { onData, onResync = () => {}, onOpen = () => {} }) {
  let socket = null;
  let closed = false;
  let attempts = 0;
  let retryTimer = null;
  let everOpened = false;
  let resyncTimer = null;

  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

  function connect() {
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    });
    socket.addEventListener('message', (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (msg.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
        everOpened = true;
        attempts = 0;
        setBanner(null);
        onOpen();
        // Changes between the page's fetch (or the last socket) and this subscription taking
        // effect on the server reach the page only through a fresh map: fetch one a moment later.
        clearTimeout(resyncTimer);
        resyncTimer = setTimeout(onResync, 400);
      } else if (msg.type === 'next' && msg.payload?.data) {
        onData(msg.payload.data);
      } else if (msg.type === 'complete' || msg.type === 'error') {
        // The server ended the stream (its upstream broke): start over, and resynchronise.
        socket.close(4000);
      } else if (msg.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    });
    socket.addEventListener('close', () => {
      if (closed) return;
      setBanner(everOpened ? 'Connection lost — reconnecting…' : 'Connecting to the live seat map…');
      attempts += 1;
      const delay = Math.min(8000, 250 * 2 ** Math.min(attempts, 5)) * (0.5 + Math.random() / 2);
      retryTimer = setTimeout(connect, delay);
    });
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(resyncTimer);
      setBanner(null);
      socket?.close(1000);
    },
  };
}
