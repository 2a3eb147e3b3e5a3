// The search page: plain ES module, no build step. Talks to /api/v1 with fetch; the API key lives in sessionStorage
// (this tab only). Every API error is shown as its ProblemDetails title and detail.
const KEY_STORAGE = 'sanreid.apiKey';
const $ = (id) => document.getElementById(id);

const state = {
  query: null,        // the File searched with
  queryUrl: null,     // its object URL (revoked when replaced)
  thumbUrls: [],      // object URLs of the shown thumbnails
  searchSeq: 0,       // a newer search makes the answer of an older one stale
};

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

function headers() {
  const key = apiKey();
  return key ? { 'X-Api-Key': key } : {};
}

// body[data-state]: loading, idle, busy, done (results shown) or error (an error shown): what tests wait for.
function setBusy(busy) {
  if (busy) document.body.dataset.state = 'busy';
  $('matches').setAttribute('aria-busy', String(busy));
  $('search').disabled = busy;
}

function showError(problem) {
  $('error-title').textContent = problem.title || 'Error';
  $('error-detail').textContent = problem.detail || '';
  $('error-code').textContent = problem.code ? `(${problem.code})` : '';
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

// A failed response as ProblemDetails: the body when it is one, else made from the status line.
async function problemOf(response) {
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      const body = await response.json();
      if (body && (body.title || body.detail)) return body;
    } catch { /* not JSON after all */ }
  }
  return { title: `${response.status} ${response.statusText || 'error'}`, detail: 'The service answered without details.' };
}

// fetch that turns network failures and non-2xx answers into thrown ProblemDetails-shaped errors.
async function api(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: { ...headers(), ...(init.headers || {}) } });
  } catch (e) {
    throw { title: 'Cannot reach the service', detail: String(e && e.message ? e.message : e) };
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

function splitIds(text) {
  return text.split(/[\s,]+/).filter((s) => s.length > 0).join(',');
}

function utc(localValue) {
  return localValue ? new Date(localValue).toISOString() : '';
}

// "2026-04-01 08:47:13 UTC" (the API's times are UTC); "–" when none.
function formatTime(iso) {
  return iso ? `${iso.replace('T', ' ').replace(/\.\d+/, '').replace(/(Z|\+00:00)$/, '')} UTC` : '–';
}

// The same time as a <time> element, date and clock on their own lines (narrow cards).
function timeElement(iso) {
  if (!iso) return document.createTextNode('–');
  const time = document.createElement('time');
  time.dateTime = iso;
  const [date, clock] = formatTime(iso).split(' ');
  time.append(date, document.createElement('br'), `${clock} UTC`);
  return time;
}

function setQuery(file, caption) {
  state.query = file;
  if (state.queryUrl) URL.revokeObjectURL(state.queryUrl);
  state.queryUrl = URL.createObjectURL(file);
  $('query-image').src = state.queryUrl;
  $('query-image').alt = `Query crop: ${caption}`;
  $('query-caption').textContent = caption;
  $('query-figure').hidden = false;
}

function searchForm() {
  const form = new FormData();
  form.append('image', state.query, state.query.name || 'query.jpg');
  const fields = {
    k: $('k').value.trim(),
    cameras: splitIds($('cameras').value),
    exclude_cameras: splitIds($('exclude-cameras').value),
    from: utc($('from').value),
    to: utc($('to').value),
    label: $('label').value.trim(),
    min_score: $('min-score').value.trim(),
  };
  for (const [name, value] of Object.entries(fields)) {
    if (value) form.append(name, value);
  }
  return form;
}

async function search() {
  if (!state.query) {
    $('status').textContent = 'Choose a query crop first.';
    $('query-file').focus();
    return;
  }
  const seq = ++state.searchSeq;
  clearError();
  setBusy(true);
  $('status').textContent = 'Searching…';
  try {
    const response = await api('/api/v1/search', { method: 'POST', body: searchForm() });
    const result = await response.json();
    if (seq !== state.searchSeq) return;
    await render(result);
    document.body.dataset.state = 'done';
  } catch (problem) {
    if (seq !== state.searchSeq) return;
    showError(problem);
    $('status').textContent = 'The search failed; see the error above.';
    document.body.dataset.state = 'error';
  } finally {
    if (seq === state.searchSeq) setBusy(false);
  }
}

// The thumbnail as an object URL: fetched with the key header (an <img src> cannot send it). The browser's HTTP cache
// revalidates it with the ETag, so a repeated match costs a 304.
async function thumbnail(url) {
  const response = await api(url);
  return URL.createObjectURL(await response.blob());
}

async function render(result) {
  for (const url of state.thumbUrls) URL.revokeObjectURL(url);
  state.thumbUrls = [];
  const list = $('matches');
  list.replaceChildren();
  const items = await Promise.all(result.matches.map(async (m) => {
    let src = null;
    if (m.image_url) {
      try {
        src = await thumbnail(m.image_url);
        state.thumbUrls.push(src);
      } catch { src = null; }
    }
    return renderMatch(m, src);
  }));
  list.append(...items);
  await Promise.all([...list.querySelectorAll('img')].map((img) => img.decode().catch(() => {})));
  $('status').textContent = result.count === 0
    ? `No match among ${result.gallery_size} gallery items with these filters.`
    : `${result.count} of ${result.gallery_size} gallery items, best first. Choose one to search with it.`;
}

function renderMatch(m, src) {
  const li = document.createElement('li');
  li.className = 'match';
  li.dataset.id = String(m.id);
  li.dataset.score = String(m.score);
  const button = document.createElement('button');
  button.type = 'button';
  const camera = m.camera_id ?? '–';
  button.setAttribute('aria-label',
    `Rank ${m.rank}: item ${m.id}, score ${m.score.toFixed(3)}, camera ${camera}, captured ${formatTime(m.captured_at)}. Search with this crop.`);
  const thumb = document.createElement('span');
  thumb.className = 'thumb';
  if (src) {
    const img = document.createElement('img');
    img.src = src;
    img.alt = '';
    img.dataset.imageUrl = m.image_url;
    thumb.append(img);
  } else {
    const none = document.createElement('span');
    none.className = 'noimage';
    none.textContent = 'no image stored';
    thumb.append(none);
  }
  const dl = document.createElement('dl');
  const rows = [
    ['Rank', String(m.rank), 'rank'],
    ['Score', m.score.toFixed(3), 'score'],
    ['Camera', String(camera), 'camera'],
    ['Time', timeElement(m.captured_at), 'time'],
    ['Id', String(m.id), 'id'],
  ];
  if (m.label) rows.push(['Label', m.label, 'label']);
  for (const [name, value, cls] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.className = cls;
    if (typeof value === 'string') dd.textContent = value; else dd.append(value);
    dl.append(dt, dd);
  }
  button.append(thumb, dl);
  button.addEventListener('click', () => searchWithMatch(m, src));
  li.append(button);
  return li;
}

async function searchWithMatch(m, src) {
  if (!src) {
    showError({ title: 'No image', detail: `Gallery item ${m.id} has no stored crop to search with.` });
    return;
  }
  const blob = await (await fetch(src)).blob();
  setQuery(new File([blob], `gallery-${m.id}.jpg`, { type: blob.type || 'image/jpeg' }), `gallery item ${m.id}`);
  await search();
  $('results-heading').focus();
}

async function add(event) {
  event.preventDefault();
  clearError();
  const files = $('add-files').files;
  if (!files.length) {
    $('add-status').textContent = 'Choose one or more crops first.';
    return;
  }
  const form = new FormData();
  for (const file of files) form.append('images', file, file.name);
  const fields = {
    camera_id: $('add-camera').value.trim(),
    label: $('add-label').value.trim(),
    captured_at: utc($('add-captured').value),
    external_id: $('add-external').value.trim(),
  };
  for (const [name, value] of Object.entries(fields)) {
    if (value) form.append(name, value);
  }
  $('add').disabled = true;
  $('add-status').textContent = 'Adding…';
  try {
    const result = await (await api('/api/v1/gallery', { method: 'POST', body: form })).json();
    $('add-status').textContent = `Added ${result.count}: id ${result.items.map((i) => i.id).join(', ')}.`;
    $('add-form').reset();
    document.body.dataset.state = 'done';
  } catch (problem) {
    showError(problem);
    $('add-status').textContent = 'Nothing was added; see the error above.';
    document.body.dataset.state = 'error';
  } finally {
    $('add').disabled = false;
  }
}

function wireDrop() {
  const zone = $('drop');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) {
      setQuery(file, file.name);
      search();
    }
  });
}

function wireKey() {
  $('api-key').value = apiKey();
  const save = () => {
    const key = $('api-key').value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key); else sessionStorage.removeItem(KEY_STORAGE);
    return key;
  };
  $('api-key').addEventListener('change', save);
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    $('status').textContent = save() ? 'API key set for this tab.' : 'API key cleared.';
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    $('api-key').value = '';
    $('status').textContent = 'API key cleared.';
  });
}

$('query-file').addEventListener('change', () => {
  const file = $('query-file').files[0];
  if (file) {
    setQuery(file, file.name);
    search();
  }
});
$('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  search();
});
$('add-form').addEventListener('submit', add);
wireDrop();
wireKey();
document.body.dataset.state = 'idle';
