#!/bin/sh
# test_http_etcd.sh HOTCONF - etcd configs on the dashboard like files,
# against a real etcd (tests/etcd_lib.sh): `hotconf watch etcd://...
# --state DIR --http` lists two keys named app.json under URL-safe,
# distinct ids, with their URIs as `config`; the document masked; the
# attempt log (applied with the changed path, rejected with its
# position) from the engine's store, still there after a restart on the
# same state folder; /metrics with the URIs as path labels, accepted by
# promtool. SKIPPED (77) only when etcd is not installed.
set -u
H=$1
T=$(mktemp -d)
. "$(dirname "$0")/etcd_lib.sh"
W=
cleanup() { [ -n "$W" ] && kill "$W" 2>/dev/null; etcd_cleanup; }
trap cleanup EXIT
etcd_start n1 http
A="etcd://127.0.0.1:$CP/team/app.json"
B="etcd://127.0.0.1:$CP/other/app.json"
TOKEN=etcd-dash-token-0123456789
ctl put team/app.json '{"port": 1, "db": {"password": "s3cr3t"}}' >/dev/null
ctl put other/app.json '{"port": 5}' >/dev/null

# watch_start: `hotconf watch` on both keys; sets W and BASE.
watch_start() {
  : >"$T/watch.err"
  "$H" watch "$A" "$B" --state "$T/state" --no-status --http 127.0.0.1:0 \
    --http-token "$TOKEN" >"$T/watch.out" 2>"$T/watch.err" &
  W=$!
  until_ok 300 grep -q 'dashboard on http://127.0.0.1:' "$T/watch.err" ||
    { echo "FAIL: no dashboard: $(cat "$T/watch.err")"; exit 1; }
  BASE=$(sed -n 's|.*dashboard on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$T/watch.err" | head -1)
}
watch_stop() { kill "$W"; wait "$W" 2>/dev/null; W=; }

# check.py BASE A B PHASE: the dashboard's view of the two keys
cat >"$T/check.py" <<'PY'
import json, re, subprocess, sys, time, urllib.request
base, a, b, phase, vfile = sys.argv[1:6]
def get(p):
    with urllib.request.urlopen(base + p) as r:
        return r.read().decode()
def cfg_of(uri):
    for c in json.loads(get("/api/configs"))["configs"]:
        if c["config"] == uri:
            return c
    return None
# bounded wait for the watcher to have applied / rejected what was put
# (etcd configs number their versions by etcd revision)
v1 = 0 if phase == "1" else int(open(vfile).read())
def done(c):
    if phase == "1":
        return c["status"] == "live"
    return c["status"] == "rejected" and c["version"] > v1
for _ in range(300):
    c = cfg_of(a)
    if c and done(c) and cfg_of(b):
        break
    time.sleep(0.1)
else:
    sys.exit("FAIL: %s never reached phase %s: %s" % (a, phase, get("/api/configs")))
if phase == "1":
    open(vfile, "w").write(str(c["version"]))
ca, cb = cfg_of(a), cfg_of(b)
for c in (ca, cb):
    if not re.fullmatch(r"[A-Za-z0-9._-]+", c["id"]):
        sys.exit("FAIL: id %r not URL-safe" % c["id"])
if ca["id"] == cb["id"]:
    sys.exit("FAIL: one id for two keys: " + ca["id"])
one = json.loads(get("/api/configs/" + ca["id"]))
if one["config"] != a:
    sys.exit("FAIL: config field " + one["config"])
doc = json.dumps(one.get("document"))
if "s3cr3t" in doc:
    sys.exit("FAIL: secret in the document: " + doc)
att = json.loads(get("/api/configs/%s/attempts" % ca["id"]))["attempts"]
outs = [x["outcome"] for x in att]
if phase != "1":
    rej = [x for x in att if x["outcome"] == "rejected"]
    if not rej or not re.search(r"team/app\.json:1:\d+: ", rej[0]["error"] or ""):
        sys.exit("FAIL: no rejected attempt with its position: %s" % att)
    v2 = [x for x in att if x["outcome"] == "applied" and x["version"] == ca["version"]]
    if not v2 or "port" not in v2[-1]["changed"] or v2[-1]["trigger"] != "update":
        sys.exit("FAIL: applied v2 without its changed path: %s" % att)
metrics = get("/metrics")
for uri in (a, b):
    if 'path="%s"' % uri not in metrics:
        sys.exit("FAIL: %s not a path label in /metrics" % uri)
try:
    p = subprocess.run(["promtool", "check", "metrics"], input=metrics.encode(),
                       capture_output=True)
    if p.returncode != 0:
        sys.exit("FAIL: promtool: " + p.stdout.decode() + p.stderr.decode())
except FileNotFoundError:
    print("SKIPPED promtool part: not installed")
print("phase %s: OK (%s)" % (phase, ", ".join(outs)))
PY

watch_start
python3 "$T/check.py" "$BASE" "$A" "$B" 1 "$T/v1" || fails=$((fails + 1))
ctl put team/app.json '{"port": 2, "db": {"password": "s3cr3t"}}' >/dev/null
ctl put team/app.json '{"port": ' >/dev/null
python3 "$T/check.py" "$BASE" "$A" "$B" 2 "$T/v1" || fails=$((fails + 1))
# the next run on the same state folder shows what the first one recorded
watch_stop
watch_start
python3 "$T/check.py" "$BASE" "$A" "$B" 3 "$T/v1" || fails=$((fails + 1))
watch_stop
[ $fails -eq 0 ] && echo "test_http_etcd: OK"
