// How Label Studio's own editor counts offsets, shown in a real browser:
// log in, open a task, click a label, drag the mouse over WORD as a user
// does, and submit; then read the saved region back through the API and
// print it beside WORD's code-point and UTF-16 offsets.
//
// Not run by CI (it needs Chromium and puppeteer-core). Run by hand against
// a Label Studio started as scripts/interop_servers.sh starts it, with a
// project whose config has a `PLACE` label and a task whose text holds WORD:
//
//   apt-get install chromium && npm install puppeteer-core@24
//   node labelstudio_offsets_browser.mjs URL EMAIL PASSWORD TOKEN PROJECT TASK WORD
//
// Result with Label Studio 1.23.2 and Chromium 156, on
// "قصف 😢 على وإدلب في 12 آذار 2024، و3 قتلى 👍🏽 بينهم طفلان في معرة النعمان.":
// «إدلب» saved as 11..15 (UTF-16: 12..16) and «طفلان», after 😢 and 👍🏽
// (two code points, four UTF-16 units, one grapheme), as 50..55 (UTF-16:
// 53..58; graphemes: 49..54): code points.
import puppeteer from 'puppeteer-core';

const [url, email, password, token, project, task, word] = process.argv.slice(2);
if (!word) {
  console.error('usage: node labelstudio_offsets_browser.mjs URL EMAIL PASSWORD TOKEN PROJECT TASK WORD');
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(60000);
  await page.goto(`${url}/user/login/`, {waitUntil: 'networkidle2'});
  await page.type('input[name=email]', email);
  await page.type('input[name=password]', password);
  await Promise.all([
    page.waitForNavigation({waitUntil: 'networkidle2'}),
    page.click('button[type=submit], input[type=submit]'),
  ]);
  await page.goto(`${url}/projects/${project}/data?task=${task}`, {waitUntil: 'networkidle2'});
  await page.waitForSelector('.lsf-richtext__line');
  await new Promise((r) => setTimeout(r, 2000));
  const label = await page.evaluate(() => {
    const el = [...document.querySelectorAll('*')]
      .find((e) => e.children.length === 0 && e.textContent.trim() === 'PLACE');
    const r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2};
  });
  await page.mouse.click(label.x, label.y);
  const box = await page.evaluate((word) => {
    const line = document.querySelector('.lsf-richtext__line');
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && !node.textContent.includes(word)) {}
    const i = node.textContent.indexOf(word);
    const rect = (a, b) => {
      const r = document.createRange();
      r.setStart(node, a);
      r.setEnd(node, b);
      return r.getBoundingClientRect();
    };
    const first = rect(i, i + 1);
    const last = rect(i + word.length - 1, i + word.length);
    return {right: first.right, left: last.left, y: (first.top + first.bottom) / 2};
  }, word);
  // Right to left: the word starts at the right edge of its first letter.
  await page.mouse.move(box.right - 0.5, box.y);
  await page.mouse.down();
  await page.mouse.move((box.right + box.left) / 2, box.y, {steps: 5});
  await page.mouse.move(box.left + 0.5, box.y, {steps: 5});
  await page.mouse.up();
  await new Promise((r) => setTimeout(r, 1000));
  await page.evaluate(() => {
    [...document.querySelectorAll('button')]
      .find((b) => /^(Submit|Update)$/.test(b.textContent.trim()))
      .click();
  });
  await new Promise((r) => setTimeout(r, 3000));
} finally {
  await browser.close();
}
const reply = await fetch(`${url}/api/tasks/${task}/annotations`, {headers: {Authorization: `Token ${token}`}});
const data = (await (await fetch(`${url}/api/tasks/${task}`, {headers: {Authorization: `Token ${token}`}})).json()).data;
const text = Object.values(data).find((v) => typeof v === 'string' && v.includes(word));
const cp = [...text.slice(0, text.indexOf(word))].length;
const utf16 = text.indexOf(word);
for (const annotation of await reply.json()) {
  for (const r of annotation.result) {
    if (r.value.text === word) {
      console.log(`saved ${r.value.start}..${r.value.end}; code points ${cp}..${cp + [...word].length}, ` +
        `UTF-16 ${utf16}..${utf16 + word.length}`);
    }
  }
}
