#!/bin/sh
# run.sh - hotconf beside its peers (make bench-peers; not part of make test).
#
# For each peer and save style (atomic rename-over, in-place truncate+write,
# Kubernetes ..data symlink swap, delete+recreate), bench/peers/driver writes
# VERSIONS numbered versions 50 ms apart (paced) and VERSIONS more 10 ms apart
# (burst), and scores what the peer reports: latency, missed, duplicate and
# stale versions, final state, RSS and idle CPU. Table on stdout, CSV and PNG
# plots in build/bench-peers/.
#
# Knobs (environment): VERSIONS=100  PEERS="hotconf inotifywait entr
# chokidar viper poller"  STYLES="atomic inplace symlink recreate"
# PACED_MS=50 BURST_MS=10 SETTLE_MS=1200 IDLE_MS=3000 HOTCONF=build/hotconf
# NO_INSTALL=1 (do not apt-get/npm install missing peers).
set -eu

here=$(cd -- "$(dirname -- "$0")" && pwd)
root=$(cd -- "$here/../.." && pwd)
out=$root/build/bench-peers
VERSIONS=${VERSIONS:-100}
PEERS=${PEERS:-hotconf inotifywait entr chokidar viper poller}
STYLES=${STYLES:-atomic inplace symlink recreate}
PACED_MS=${PACED_MS:-50}
BURST_MS=${BURST_MS:-10}
SETTLE_MS=${SETTLE_MS:-1200}
IDLE_MS=${IDLE_MS:-3000}
HOTCONF=${HOTCONF:-$root/build/hotconf}

mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hotconf-peers.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT TERM

notes=$out/skipped.txt
: >"$notes"
skip() { printf '%s: skipped: %s\n' "$1" "$2" | tee -a "$notes" >&2; }

can_install() { [ "$(id -u)" = 0 ] && [ -z "${NO_INSTALL:-}" ]; }
apt_install() {
  can_install || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
    >"$out/apt.log" 2>&1
}

cc -O2 -Wall -Wextra -Werror -o "$out/driver" "$here/driver.c"
cc -O2 -Wall -Wextra -Werror -o "$out/poller" "$here/poller.c"

# Which peers can run; each one's command ({} = the config file).
ready=""
for p in $PEERS; do
  case $p in
    hotconf)
      [ -x "$HOTCONF" ] || { skip hotconf "$HOTCONF not built (run make)"; continue; } ;;
    inotifywait)
      command -v inotifywait >/dev/null || apt_install inotify-tools ||
        { skip inotifywait "inotify-tools not installed"; continue; } ;;
    entr)
      command -v entr >/dev/null || apt_install entr ||
        { skip entr "entr not installed"; continue; } ;;
    chokidar)
      command -v node >/dev/null || { skip chokidar "node not installed"; continue; }
      if [ ! -d "$here/node_modules/chokidar" ]; then
        if [ -n "${NO_INSTALL:-}" ] || ! (cd "$here" && npm install --no-audit --no-fund \
          --no-package-lock --silent >"$out/npm.log" 2>&1); then
          skip chokidar "npm install chokidar failed (see $out/npm.log)"; continue
        fi
      fi ;;
    viper)
      if ! command -v go >/dev/null ||
        [ ! -d /usr/share/gocode/src/github.com/spf13/viper ]; then
        apt_install golang-go golang-github-spf13-viper-dev ||
          { skip viper "golang-go / golang-github-spf13-viper-dev not installed"; continue; }
      fi
      # GOPATH mode against Debian's packaged sources: no network.
      if ! (cd "$here/viperwatch" && GO111MODULE=off GOFLAGS="" GOPROXY=off \
        GOPATH=/usr/share/gocode GOCACHE="$out/gocache" \
        go build -o "$out/viperwatch" . >"$out/go.log" 2>&1); then
        skip viper "offline build failed (see $out/go.log)"; continue
      fi ;;
    poller) ;;
    *) skip "$p" "unknown peer"; continue ;;
  esac
  ready="$ready $p"
done

csv=$out/results.csv
lat=$out/latency.csv
echo "peer,style,schedule,versions,reported,missed,duplicates,stale,final_ok,p50_ms,p90_ms,p99_ms,max_ms,catchup_p50_ms,catchup_p99_ms,rss_idle_kib,rss_end_kib,idle_cpu_pct" >"$csv"
echo "peer,style,schedule,n,latency_ms" >"$lat"

for p in $ready; do
  parse=""
  case $p in
    hotconf) set -- "$HOTCONF" watch --events {}; parse="--parse hotconf" ;;
    inotifywait) set -- "$here/inotifywait-watch.sh" {} ;;
    entr) set -- "$here/entr-watch.sh" {} ;;
    chokidar) set -- node "$here/chokidar-watch.js" {} ;;
    viper) set -- "$out/viperwatch" {} ;;
    poller) set -- "$out/poller" {} 500 ;;
  esac
  idle=$IDLE_MS # idle CPU once per peer, in its first style
  for s in $STYLES; do
    d=$tmp/$p-$s
    mkdir "$d"
    echo "running $p / $s" >&2
    # shellcheck disable=SC2086 # $parse is one option or none
    "$out/driver" --name "$p" --style "$s" --dir "$d" --csv "$csv" --lat "$lat" \
      --versions "$VERSIONS" --paced-ms "$PACED_MS" --burst-ms "$BURST_MS" \
      --settle-ms "$SETTLE_MS" --idle-ms "$idle" $parse -- "$@" 2>>"$out/driver.log" ||
      echo "$p / $s: driver failed (see $out/driver.log)" >&2
    idle=0
    rm -rf -- "$d"
  done
done

echo
echo "# hotconf beside its peers: $VERSIONS versions per style and schedule" \
  "(paced ${PACED_MS} ms, burst ${BURST_MS} ms); latency in ms of the versions" \
  "shown; catch-up: until that version or a newer one is shown"
awk -F, 'NR == 1 { next }
  { printf "%-11s %-8s %-5s missed %3d/%-3d dup %3d stale %3d final %-3s p50 %7.2f p99 %7.2f max %7.2f catch-up p50 %7.2f p99 %7.2f RSS %5.1f MiB",
      $1, $2, $3, $6, $4, $7, $8, $9, $10, $12, $13, $14, $15, $17 / 1024 }
  $18 >= 0 { printf " idle CPU %.3f%%", $18 }
  { printf "\n" }' "$csv"
if [ -s "$notes" ]; then echo; cat "$notes"; fi

# Plot data: one row per peer, one column per style (NaN: nothing reported);
# the latency plots show catch-up latency (see driver.c).
for sched in paced burst; do
  for col in 14:p50 15:p99 6:missed; do
    awk -F, -v sched="$sched" -v c="${col%%:*}" -v styles="$STYLES" '
      NR == 1 { next }
      $3 == sched { v[$1 "," $2] = $c; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
      END {
        k = split(styles, st, " ")
        printf "peer"; for (j = 1; j <= k; j++) printf " %s", st[j]; printf "\n"
        for (i = 0; i < n; i++) {
          printf "%s", order[i]
          for (j = 1; j <= k; j++) {
            x = v[order[i] "," st[j]]
            printf " %s", (x == "" || x < 0) ? "NaN" : x
          }
          printf "\n"
        }
      }' "$csv" >"$out/${sched}-${col#*:}.dat"
  done
done
awk -F, 'NR > 1 && $3 == "paced" && $18 >= 0 { printf "%s %.2f %.3f\n", $1, $16 / 1024, $18 }' "$csv" \
  >"$out/resources.dat"

if command -v gnuplot >/dev/null; then
  term=png
  gnuplot -e 'set terminal' 2>/dev/null | grep -q pngcairo && term=pngcairo
  gnuplot -e "term='$term'; dir='$out'; nstyles=$(echo "$STYLES" | wc -w); versions=$VERSIONS" \
    "$here/plot.gp" && echo "plots: $out/latency.png $out/missed.png $out/resources.png"
else
  echo "gnuplot not installed: no plots" >&2
fi
echo "CSV: $csv (per version: $lat)"
