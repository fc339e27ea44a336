// dashboard.test.mjs - a real headless chromium against `hotconf watch --http`.
// Loads the overview, sees a file change arrive without a reload, shows an
// XSS value as text, rolls back with the token and sees the older version
// go live, saves screenshots. Usage: node dashboard.test.mjs HOTCONF OUTDIR
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const hotconf = path.resolve(process.argv[2]);
const outDir = path.resolve(process.argv[3]);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'browser-test-token-0123456789';
const XSS = '<script>alert(1)</script>';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotconf-browser-'));
const app = path.join(dir, 'app.json');
const v1 = JSON.stringify({ name: XSS, listen: { port: 8080 }, db: { password: 'hunter2' } }, null, 2);

function fail(msg) { throw new Error(msg); }
function check(cond, msg) { if (!cond) fail(msg); }

fs.writeFileSync(app, v1);
fs.writeFileSync(path.join(dir, 'db.yaml'), 'host: db.internal\nport: 5432\npool: 10\n');
fs.writeFileSync(path.join(dir, 'features.env'), 'NEW_UI=true\nRATE_LIMIT=100\nAPI_TOKEN=s3cr3t\n');

// Starts `hotconf watch --http`; resolves with the base URL it prints.
function start(listen) {
  const c = spawn(hotconf, ['watch', 'app.json', 'db.yaml', 'features.env',
    '--http', listen, '--http-token', TOKEN, '--dashboard-file', 'dash.html'], {
    cwd: dir, env: { ...process.env, XDG_STATE_HOME: path.join(dir, 'state') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = new Promise((resolve, reject) => {
    c.stderr.on('data', (d) => {
      err += d;
      const mm = /dashboard on (http:\/\/[^/]+)\//.exec(err);
      if (mm) resolve(mm[1]);
    });
    c.on('exit', (code) => reject(new Error('hotconf exited ' + code + ': ' + err)));
  });
  return { child: c, url };
}

// Stops a server by its PID and waits for it to exit.
async function stop(c) {
  if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGTERM');
  await new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r)));
}

let server = start('127.0.0.1:0');
let browser;
try {
  const base = await server.url;

  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 820 });
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // the overview
  await page.goto(base + '/#token=' + TOKEN, { waitUntil: 'load' });
  await page.waitForSelector('tr[data-id="app.json"] td.version');
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live');
  check(!(await page.evaluate(() => location.hash)).includes('token'), 'token left in the URL');
  await page.evaluate(() => { window.__noReload = true; });

  // a file change arrives without a reload
  fs.writeFileSync(app, JSON.stringify({ name: XSS, listen: { port: 9090 }, db: { password: 'hunter3' } }, null, 2));
  await page.waitForFunction(
    () => document.querySelector('tr[data-id="app.json"] td.version').textContent === '2');
  check(await page.evaluate(() => window.__noReload === true), 'the page reloaded');

  // a rejected version shows its error with the position, still without a reload
  fs.writeFileSync(path.join(dir, 'db.yaml'), 'host: db.internal\nport: [5432\n');
  await page.waitForFunction(
    () => document.querySelector('tr[data-id="db.yaml"] .badge').textContent === 'rejected');
  const err = await page.$eval('tr[data-id="db.yaml"] td.errtext', (e) => e.textContent);
  check(/db\.yaml:\d+:\d+: /.test(err), 'error without position: ' + err);
  check(await page.evaluate(() => window.__noReload === true), 'the page reloaded');
  await page.screenshot({ path: path.join(outDir, 'dashboard-overview.png') });

  // one config's page: the XSS value is text, the secret is masked
  await page.click('tr[data-id="app.json"] a');
  await page.waitForSelector('#detail:not([hidden]) #d-doc');
  await page.waitForFunction(() => document.getElementById('d-version').textContent === 'version 2');
  const doc = await page.$eval('#d-doc', (e) => e.textContent);
  check(doc.includes(XSS), 'XSS value not shown as text: ' + doc);
  check(!doc.includes('hunter'), 'secret not masked');
  check(await page.evaluate(() => document.querySelectorAll('#main script').length === 0),
    'a script element was injected');
  check(dialogs === 0, 'alert() ran');
  const html = await page.content();
  check(!html.includes('hunter'), 'secret in the page');

  // roll back to version 1 with the token: version 3 goes live with v1's content
  await page.evaluate(() => { window.__noReload = true; });
  await page.select('#d-target', '1');
  await page.click('#d-rollback-btn');
  await page.waitForFunction(() => document.getElementById('d-version').textContent === 'version 3');
  const doc3 = await page.$eval('#d-doc', (e) => e.textContent);
  check(doc3.includes('8080'), 'rolled-back document not live: ' + doc3);
  check(fs.readFileSync(app, 'utf8') === v1, 'file not rewritten with version 1');
  const msg = await page.$eval('#d-rollback-msg', (e) => e.textContent);
  check(msg.includes('live again'), 'rollback message: ' + msg);
  await page.waitForFunction(() => document.querySelectorAll('#d-history li').length === 3);
  // the attempt log (the engine store's): the rollback first, with the
  // paths it changed back, then the applied versions
  await page.waitForFunction(() => {
    const r = document.querySelector('#d-attempts tbody tr');
    return r && r.dataset.outcome === 'rolled_back';
  });
  const att = await page.$$eval('#d-attempts tbody tr', (rows) => rows.map((r) => ({
    outcome: r.dataset.outcome, version: r.children[2].textContent,
    trigger: r.children[3].textContent, changed: r.querySelector('td.changed').textContent,
  })));
  check(att.length === 3 && att[0].version === '3' && att[0].trigger === 'rollback' &&
    att[0].changed.includes('listen') && att[1].outcome === 'applied' && att[1].version === '2',
    'attempt log: ' + JSON.stringify(att));
  await page.screenshot({ path: path.join(outDir, 'dashboard-config.png'), fullPage: true });
  check(errors.length === 0, 'page errors: ' + errors.join('; '));

  // the static page kept by --dashboard-file: no server, same views
  const file = path.join(dir, 'dash.html');
  // the file is rewritten by the hub after the rollback: load it until it shows v3
  for (;;) {
    await page.goto('file://' + file + '#/configs/app.json', { waitUntil: 'load' });
    await page.waitForFunction(() => /^version [0-9]+$/.test(document.getElementById('d-version').textContent));
    if (await page.$eval('#d-version', (e) => e.textContent) === 'version 3') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const sdoc = await page.$eval('#d-doc', (e) => e.textContent);
  check(sdoc.includes(XSS) && !sdoc.includes('hunter'), 'static page document: ' + sdoc);
  check(await page.$eval('#conn', (e) => e.textContent) === 'static', 'static page not static');
  check(dialogs === 0, 'alert() ran on the static page');
  await page.goto('file://' + file, { waitUntil: 'load' });
  await page.waitForSelector('tr[data-id="db.yaml"] .badge.rejected');
  // the server goes away and comes back (same port): the open page
  // reconnects by itself and catches up with what changed meanwhile
  await page.goto(base + '/configs/app.json', { waitUntil: 'load' });
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live');
  await page.waitForFunction(() => document.getElementById('d-version').textContent === 'version 3');
  await page.evaluate(() => { window.__noReload = true; });
  await stop(server.child);
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'reconnecting');
  fs.writeFileSync(app, JSON.stringify({ name: XSS, listen: { port: 7070 } }, null, 2));
  server = start(base.replace('http://', ''));
  await server.url;
  await page.waitForFunction(() => document.getElementById('conn').textContent === 'live');
  await page.waitForFunction(() => document.getElementById('d-doc').textContent.includes('7070'));
  check(await page.evaluate(() => window.__noReload === true), 'the page reloaded');
  console.log('browser test: PASS (screenshots in ' + outDir + ')');
} finally {
  if (browser) await browser.close();
  await stop(server.child);
  fs.rmSync(dir, { recursive: true, force: true });
}
