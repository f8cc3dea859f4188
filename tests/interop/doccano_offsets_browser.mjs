// How doccano's own editor counts offsets, shown in a real browser: log in,
// open the PAGE-th example of a sequence-labelling project, drag the mouse
// over WORD as a user does and pick the label PLACE in the menu that opens;
// then read the saved span back through the API and print it beside WORD's
// code-point, UTF-16 and grapheme offsets.
//
// Not run by CI (it needs Chromium and puppeteer-core). Run by hand against
// a doccano started as scripts/interop_servers.sh starts it, with a project
// that has a PLACE label and an example holding WORD:
//
//   apt-get install chromium && npm install puppeteer-core@24
//   node doccano_offsets_browser.mjs URL USER PASSWORD PROJECT PAGE WORD
//
// Result with doccano 1.8.4 and Chromium 156, on
// "قصف 😢 على وإدلب في 12 آذار 2024، و3 قتلى 👍🏽 بينهم طفلان في معرة النعمان."
// (😢: one code point, two UTF-16 units; 👍🏽: two code points, four units,
// one grapheme): grapheme mode off, «طفلان» saved as 53..58 (UTF-16; code
// points 50..55); grapheme mode on, «بينهم» saved as 43..48 (graphemes; code
// points 44..49, UTF-16 47..52).
import puppeteer from 'puppeteer-core';

const [url, user, password, project, pageNo, word] = process.argv.slice(2);
if (!word) {
  console.error('usage: node doccano_offsets_browser.mjs URL USER PASSWORD PROJECT PAGE WORD');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,900'],
});
let exampleText;
try {
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 900});
  page.setDefaultTimeout(60000);
  await page.goto(`${url}/auth`, {waitUntil: 'networkidle2'});
  const inputs = await page.$$('input');
  await inputs[0].type(user);
  await inputs[1].type(password);
  await page.keyboard.press('Enter');
  await sleep(3000);
  await page.goto(`${url}/projects/${project}`, {waitUntil: 'networkidle2'});
  await sleep(2000);
  await page.evaluate(() =>
    [...document.querySelectorAll('button, a')].find((b) => b.textContent.includes('Start Annotation')).click());
  await sleep(4000);
  for (let p = 1; p < Number(pageNo); p++) {
    await page.evaluate(() =>
      [...document.querySelectorAll('button, a')].find((b) => b.textContent.trim().includes('Next'))?.click());
    await sleep(3000);
  }
  // The visible SVG text node holding WORD (doccano also keeps hidden copies).
  const box = await page.evaluate((word) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const visible = (n) => {
      const r = document.createRange();
      r.selectNodeContents(n);
      const b = r.getBoundingClientRect();
      return b.top > 0 && b.top < 900 && b.width > 0;
    };
    let node;
    while ((node = walker.nextNode())) {
      if (node.textContent.includes(word) && node.parentElement.namespaceURI.includes('svg') && visible(node)) break;
    }
    const i = node.textContent.indexOf(word);
    const rect = (a, b) => {
      const r = document.createRange();
      r.setStart(node, a);
      r.setEnd(node, b);
      return r.getBoundingClientRect();
    };
    const first = rect(i, i + 1);
    const last = rect(i + word.length - 1, i + word.length);
    return {text: node.textContent, right: first.right, left: last.left, y: (first.top + first.bottom) / 2};
  }, word);
  exampleText = box.text;
  // Right to left: the word starts at the right edge of its first letter.
  await page.mouse.move(box.right - 0.5, box.y);
  await page.mouse.down();
  await page.mouse.move((box.right + box.left) / 2, box.y, {steps: 5});
  await page.mouse.move(box.left + 0.5, box.y, {steps: 5});
  await page.mouse.up();
  await sleep(1500);
  const picked = await page.evaluate(() => {
    for (const menu of document.querySelectorAll('.menuable__content__active')) {
      const el = [...menu.querySelectorAll('*')].find((e) => e.children.length === 0 && e.textContent.trim() === 'PLACE');
      if (el) {
        el.click();
        return true;
      }
    }
    return false;
  });
  if (!picked) throw new Error('no label menu opened after the selection');
  await sleep(2000);
} finally {
  await browser.close();
}
const login = await fetch(`${url}/v1/auth/login/`, {
  method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({username: user, password}),
});
const headers = {Authorization: `Token ${(await login.json()).key}`};
const examples = await (await fetch(`${url}/v1/projects/${project}/examples?limit=1000`, {headers})).json();
const example = examples.results.find((e) => e.text === exampleText);
const spans = await (await fetch(`${url}/v1/projects/${project}/examples/${example.id}/spans`, {headers})).json();
const utf16 = exampleText.indexOf(word);
const cp = [...exampleText.slice(0, utf16)].length;
const graphemes = [...new Intl.Segmenter().segment(exampleText.slice(0, utf16))].length;
const last = spans.reduce((a, b) => (a.id > b.id ? a : b));
console.log(`saved ${last.start_offset}..${last.end_offset}; code points ${cp}..${cp + [...word].length}, ` +
  `UTF-16 ${utf16}..${utf16 + word.length}, graphemes ${graphemes}..${graphemes + [...word].length}`);
