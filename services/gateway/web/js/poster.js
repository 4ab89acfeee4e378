// Posters drawn from a movie's title when it has no poster image: the shop looks like a shop
// with no internet and no image files.

const NS = 'http://www.w3.org/2000/svg';

function hash(text) {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0), 16777619);
  return h >>> 0;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** Words of the title broken into lines of about 12 characters. */
function lines(title) {
  const out = [];
  for (const word of title.split(/\s+/)) {
    const last = out[out.length - 1];
    if (last && (last + ' ' + word).length <= 12) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  return out.slice(0, 4);
}

export function poster(movie, { size = 'card' } = {}) {
  if (movie.posterUrl) {
    const img = document.createElement('img');
    img.src = movie.posterUrl;
    img.alt = `Poster of ${movie.title}`;
    img.className = `poster poster-${size}`;
    img.loading = 'lazy';
    // An image the page may not load (another origin, under the CSP) or that is gone.
    img.addEventListener('error', () => img.replaceWith(poster({ ...movie, posterUrl: null }, { size })), { once: true });
    return img;
  }
  const h = hash(movie.title);
  const hue = h % 360;
  const hue2 = (hue + 40 + (h >> 9) % 80) % 360;
  const gid = `g${h.toString(36)}`;
  const text = lines(movie.title);
  const shapes = [];
  for (let i = 0; i < 5; i += 1) {
    const v = hash(`${movie.title}${i}`);
    shapes.push(svg('circle', {
      cx: v % 200, cy: (v >> 8) % 300, r: 20 + ((v >> 16) % 60),
      fill: `hsl(${(hue + i * 25) % 360} 70% 60% / 0.25)`,
    }));
  }
  const el = svg('svg', {
    viewBox: '0 0 200 300', class: `poster poster-${size}`, role: 'img', 'aria-label': `Poster of ${movie.title}`,
  },
  svg('defs', {}, svg('linearGradient', { id: gid, x1: 0, y1: 0, x2: 0.4, y2: 1 },
    svg('stop', { offset: '0', 'stop-color': `hsl(${hue} 60% 32%)` }),
    svg('stop', { offset: '1', 'stop-color': `hsl(${hue2} 55% 14%)` }))),
  svg('rect', { width: 200, height: 300, fill: `url(#${gid})` }),
  ...shapes,
  ...text.map((line, i) => {
    const t = svg('text', {
      x: 100, y: 150 - (text.length - 1) * 14 + i * 28, 'text-anchor': 'middle',
      'font-size': 22, 'font-weight': 700, fill: '#fff', 'font-family': 'system-ui, sans-serif',
    });
    t.textContent = line;
    return t;
  }),
  svg('text', { x: 100, y: 280, 'text-anchor': 'middle', 'font-size': 11, fill: '#ffffffb0', 'font-family': 'system-ui, sans-serif', 'letter-spacing': 2 }, document.createTextNode((movie.rating || '').toUpperCase())));
  return el;
}
