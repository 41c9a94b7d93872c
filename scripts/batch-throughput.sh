#!/usr/bin/env bash
# Throughput of `quantunet batch` with 1, 2 and 3 worker processes against single-process `quantunet predict` on the
# same scans, on a throw-away PostgreSQL cluster (127.0.0.1, data under /tmp, stopped by its pid at the end).
# Usage: scripts/batch-throughput.sh MODEL INPUT [QUANTUNET]
#   MODEL      a train folder (model.qunet + model.qint) or a .qint; predict needs the folder
#   INPUT      a folder of scans (predict's input rule)
#   QUANTUNET  the built CLI (default: src/QuantUNet.Cli/bin/Release/net10.0/quantunet.dll)
# Prints one line per run: images/s, and the queue's cost per job (worker wall time per scan minus predict's).
set -euo pipefail
model=$1 input=$2
cli=${3:-"$(cd "$(dirname "$0")/.." && pwd)/src/QuantUNet.Cli/bin/Release/net10.0/quantunet.dll"}
bin=$(dirname "$(readlink -f "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -n 1)")")
work=$(mktemp -d /tmp/quantunet-batch-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$work"
as_pg "$bin/initdb" -A trust -U postgres -D "$work/db" --no-sync >/dev/null
as_pg "$bin/pg_ctl" start -D "$work/db" -w -l "$work/server.log" -o "-p $port -h 127.0.0.1 -k $work -c fsync=off" >/dev/null
pgpid=$(head -n 1 "$work/db/postmaster.pid")
workers=()
cleanup() {
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_pg "$bin/pg_ctl" stop -D "$work/db" -m fast -w >/dev/null 2>&1 || kill "$pgpid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export Batch__QueuePollInterval=00:00:00.200 Batch__InvisibilityTimeout=00:05:00

scans=$(find -L "$input" -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.tif' -o -iname '*.tiff' \) ! -iname '*_mask.*' | wc -l)
start=$(date +%s.%N)
dotnet "$cli" predict --model "$model" --input "$input" --out "$work/predict" --threads 2 >/dev/null
predict_s=$(echo "$(date +%s.%N) - $start" | bc)
printf 'predict (1 process, 2 threads): %d scans in %.1f s = %.1f images/s\n' "$scans" "$predict_s" "$(echo "$scans / $predict_s" | bc -l)"

for n in 1 2 3; do
  export ConnectionStrings__QuantUNetBatch="Host=127.0.0.1;Port=$port;Username=postgres;Database=bench$n"
  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "create database bench$n" postgres
  # Submit first, then time the workers from start to the last result (their model load included).
  submit_start=$(date +%s.%N)
  batch=$(dotnet "$cli" batch submit --model "$model" --input "$input" --out "$work/out$n" 2>/dev/null)
  submit_s=$(echo "$(date +%s.%N) - $submit_start" | bc)
  start=$(date +%s.%N)
  workers=()
  for ((i = 0; i < n; i++)); do
    # Two cores: one thread a worker up to two workers, then the third shares them.
    dotnet "$cli" batch worker --threads $(( n == 1 ? 2 : 1 )) 2>"$work/worker$n-$i.log" & workers+=($!)
  done
  dotnet "$cli" batch status --batch "$batch" --wait >/dev/null || true
  batch_s=$(echo "$(date +%s.%N) - $start" | bc)
  for pid in "${workers[@]}"; do kill -TERM "$pid"; done
  for pid in "${workers[@]}"; do wait "$pid" || true; done
  workers=()
  printf '%d worker(s): %d scans in %.1f s = %.1f images/s (submit %.1f s = %.2f ms a job); queue cost vs predict %.2f ms a scan\n' \
    "$n" "$scans" "$batch_s" "$(echo "$scans / $batch_s" | bc -l)" "$submit_s" "$(echo "1000 * $submit_s / $scans" | bc -l)" \
    "$(echo "1000 * ($batch_s - $predict_s) / $scans" | bc -l)"
done
