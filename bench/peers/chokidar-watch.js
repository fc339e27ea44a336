// chokidar-watch.js - the chokidar peer: print the file's content on every
// add/change event chokidar reports (bench/peers/run.sh).
// usage: node chokidar-watch.js FILE
'use strict';
const fs = require('fs');
const path = require('path');
const chokidar = require(path.join(__dirname, 'node_modules', 'chokidar'));

const file = process.argv[2];
function show() {
  try {
    const s = fs.readFileSync(file, 'utf8');
    if (s.length) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  } catch (e) {
    // a save in progress (recreate): the next event shows the new content
  }
}
const w = chokidar.watch(file, { ignoreInitial: true });
w.on('add', show).on('change', show).on('ready', show);
process.on('SIGTERM', () => w.close().then(() => process.exit(0)));
