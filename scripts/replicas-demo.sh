#!/usr/bin/env bash
# Two Api replicas over one PostgreSQL gallery, on this machine (issue 9):
#   a throwaway PostgreSQL cluster (initdb into a temp folder, its own free port; as the unprivileged postgres user
#   when run as root) and two Api replicas on free local ports; adds crops from ../shared/data/market-mini through the
#   first, times until each is searchable through the second, SIGKILLs the first with an add in flight, restarts it,
#   checks every acknowledged item on both replicas (database and in-memory index), and stops everything it started.
# Last line: replicas: visible_p50_ms=N visible_p99_ms=N acknowledged=N lost=N
# Usage: scripts/replicas-demo.sh [ADDS]   (default 60; the 30 market-mini crops are added in turn)
# visible_ms = from the add's 201 on replica 1 to the first search answer of replica 2 that contains the item; each
# poll is a full search (upload, decode, embed, search), so the figure includes one search's latency.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDS="${1:-60}"
DATA="${SANREID_DATA:-../shared/data/market-mini}/bounding_box_test"
[[ -d "$DATA" ]] || { echo "replicas-demo: $DATA not found (market-mini crops)" >&2; exit 1; }
command -v jq >/dev/null || { echo "replicas-demo: jq is required (apt-get install jq)" >&2; exit 1; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$PG_BIN/initdb" ]] || { echo "replicas-demo: PostgreSQL server binaries not found: run scripts/setup.sh" >&2; exit 1; }

scripts/setup.sh >/dev/null
scripts/ensure-model.sh >/dev/null
API_DLL=src/Api/bin/Release/net10.0/SanReid.Api.dll
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" DOTNET_NOLOGO=1

WORK=$(mktemp -d /tmp/sanreid-replicas-XXXXXX)
RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then RUN_AS=(runuser -u postgres --); chown postgres "$WORK"; fi
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -f "$WORK/data/postmaster.pid" ]] && "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# PostgreSQL: password login over TCP (as a deployment would), trust on the folder's socket.
PG_PORT=$(free_port)
PASSWORD="demo-$RANDOM$RANDOM"
echo "$PASSWORD" >"$WORK/pw"; chmod 600 "$WORK/pw"; [[ ${#RUN_AS[@]} -gt 0 ]] && chown postgres "$WORK/pw"
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U sanreid --pwfile "$WORK/pw" --auth-host=scram-sha-256 --auth-local=trust -E UTF8 >"$WORK/initdb.log"
rm -f "$WORK/pw"
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/postgres.log" -w \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
echo "replicas-demo: PostgreSQL on 127.0.0.1:$PG_PORT (data in $WORK/data)"
CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Database=postgres;Username=sanreid;Password=$PASSWORD"

PORT1=$(free_port); PORT2=$(free_port)
start_replica() { # name port -> pid in REPLICA_PID
  SanReid__Gallery__Store=PostgreSql SanReid__Gallery__ConnectionString="$CONNECTION" \
  SanReid__Auth__AllowAnonymousWrites=true SanReid__RateLimit__Enabled=false SanReid__Search__MaxK=100000 \
    dotnet "$API_DLL" --urls "http://127.0.0.1:$2" >>"$WORK/$1.log" 2>&1 &
  REPLICA_PID=$!
  PIDS+=("$REPLICA_PID")
}
wait_ready() { # port
  for _ in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready") == 200 ]] && return 0
    sleep 0.5
  done
  echo "replicas-demo: replica on port $1 not ready after 300 s" >&2; exit 1
}
start_replica replica1 "$PORT1"; PID1=$REPLICA_PID
start_replica replica2 "$PORT2"; PID2=$REPLICA_PID
wait_ready "$PORT1"; wait_ready "$PORT2"
echo "replicas-demo: replica 1 on :$PORT1 (adds), replica 2 on :$PORT2 (searches)"

mapfile -t CROPS < <(ls "$DATA"/*.jpg | sort)
ACKED=()
VISIBLE=()
add() { # index -> prints the new id, or nothing when not acknowledged
  local crop=${CROPS[$(( $1 % ${#CROPS[@]} ))]}
  curl -s --max-time 60 -X POST "http://127.0.0.1:$PORT1/api/v1/gallery" -F "images=@$crop" \
    -F "external_id=demo-$1" | jq -r 'select(.items != null) | .items[0].id' 2>/dev/null || true
}
KILL_AT=$(( ADDS / 2 ))
for i in $(seq 0 $(( ADDS - 1 ))); do
  if [[ $i -eq $KILL_AT ]]; then
    # An add in flight when replica 1 dies: never acknowledged, so never counted (it may or may not be stored).
    add "$i" >"$WORK/inflight" &
    inflight=$!
    sleep 0.2
    kill -KILL "$PID1"
    wait "$inflight" || true
    [[ -s "$WORK/inflight" ]] && { ACKED+=("$(cat "$WORK/inflight")"); echo "replicas-demo: the in-flight add was acknowledged before the kill"; }
    echo "replicas-demo: replica 1 killed (SIGKILL) after $i adds; restarting it"
    start_replica replica1 "$PORT1"; PID1=$REPLICA_PID
    wait_ready "$PORT1"
    echo "replicas-demo: replica 1 back: $(curl -s "http://127.0.0.1:$PORT1/health/ready" | jq -c '{gallery_items, gallery_change_sequence}')"
    continue
  fi
  id=$(add "$i")
  [[ -n "$id" ]] || { echo "replicas-demo: add $i not acknowledged" >&2; continue; }
  acked_at=$(now_ms)
  ACKED+=("$id")
  crop=${CROPS[$(( i % ${#CROPS[@]} ))]}
  while :; do
    if curl -s -X POST "http://127.0.0.1:$PORT2/api/v1/search" -F "image=@$crop" -F k=100 \
        | jq -e --argjson id "$id" '[.matches[].id] | index($id) != null' >/dev/null; then
      VISIBLE+=($(( $(now_ms) - acked_at )))
      break
    fi
    (( $(now_ms) - acked_at > 10000 )) && { echo "replicas-demo: item $id not visible on replica 2 after 10 s" >&2; break; }
  done
done

# Every acknowledged item: in the database (GET through replica 2) and in both replicas' in-memory indexes (a search
# with k above the gallery size returns every item).
wait_caught_up() {
  for _ in $(seq 1 100); do
    local a b
    a=$(curl -s "http://127.0.0.1:$PORT1/health/ready" | jq .gallery_items)
    b=$(curl -s "http://127.0.0.1:$PORT2/health/ready" | jq .gallery_items)
    [[ "$a" == "$b" ]] && return 0
    sleep 0.1
  done
}
wait_caught_up
lost=0
k=$(( ${#ACKED[@]} + 10 ))
in1=$(curl -s -X POST "http://127.0.0.1:$PORT1/api/v1/search" -F "image=@${CROPS[0]}" -F "k=$k" | jq -c '[.matches[].id]')
in2=$(curl -s -X POST "http://127.0.0.1:$PORT2/api/v1/search" -F "image=@${CROPS[0]}" -F "k=$k" | jq -c '[.matches[].id]')
for id in "${ACKED[@]}"; do
  stored=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/api/v1/gallery/$id")
  if [[ $stored != 200 ]] || ! jq -e --argjson id "$id" 'index($id) != null' <<<"$in1" >/dev/null \
     || ! jq -e --argjson id "$id" 'index($id) != null' <<<"$in2" >/dev/null; then
    echo "replicas-demo: acknowledged item $id lost (database $stored)" >&2
    lost=$((lost + 1))
  fi
done
dupes=$(jq -n --argjson a "$in1" --argjson b "$in2" '($a | length) - ($a | unique | length) + ($b | length) - ($b | unique | length)')
[[ $dupes -eq 0 ]] || echo "replicas-demo: $dupes duplicate ids in a replica's index" >&2

percentile() { # p values...
  local p=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v p="$p" '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}
echo "replicas-demo: $(curl -s "http://127.0.0.1:$PORT1/health/ready" | jq -c '{gallery_items, gallery_change_sequence}') on both; visible samples ${#VISIBLE[@]}"
echo "replicas: visible_p50_ms=$(percentile 50 "${VISIBLE[@]}") visible_p99_ms=$(percentile 99 "${VISIBLE[@]}") acknowledged=${#ACKED[@]} lost=$lost"
