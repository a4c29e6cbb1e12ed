#!/usr/bin/env bash
# readme-session.sh runs the session README.md shows ("A session against the
# simulators", "Verify and repair") for real and prints its transcript, so the
# README's transcripts can be regenerated rather than edited by hand:
#
#   examples/pbn2hl/readme-session.sh > /tmp/session.txt
#
# It builds pbn2hl, hlsim and pbnsim into a temporary directory, starts the
# two HighLevel locations (production with 2% lost answers on contact
# creates, and staging) and a 40-patient practice on loopback ports, runs
# each command as the README does and prints "$ command", its output and,
# when it is not 0, "[exit N]". Everything it writes stays in that temporary
# directory, removed at the end (-keep to keep it). The simulators' fault
# draws and the practice's mutations depend on timing: figures differ a
# little from run to run.
set -uo pipefail

keep=0
[ "${1:-}" = "-keep" ] && keep=1
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$keep" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/bin/" ./examples/pbn2hl ./examples/hlsim ./examples/pbnsim) || exit 1
export PATH="$work/bin:$PATH"
cd "$work" || exit 1

cat > users.json <<'EOF'
[{"id":"hlUserFrontDesk00001","firstName":"Front","lastName":"Desk","email":"frontdesk@practice.example","role":"admin"}]
EOF
pbnsim -addr 127.0.0.1:18791 -token pbn-demo-token -patients 40 -seed 42 -mutate 8 -mutate-every 50s >pbnsim.log 2>&1 &
pids+=($!)
hlsim -addr 127.0.0.1:18790 -token pit-demo-token -location hlLocSmileDental001 \
  -users users.json -allow-duplicates -allow-duplicate-opportunity -rate-window 1s \
  -faults 'POST /contacts/:lost=0.02,lostas=reset' >hlsim.log 2>&1 &
pids+=($!)
hlsim -addr 127.0.0.1:18792 -token pit-staging-token -location hlLocSmileStaging01 \
  -users users.json -allow-duplicates -allow-duplicate-opportunity -rate-window 1s >hlsim-staging.log 2>&1 &
pids+=($!)
for port in 18790 18791 18792; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

export PBN_TOKEN=pbn-demo-token HL_TOKEN=pit-demo-token
head -c 32 /dev/urandom >ledger.key && chmod 600 ledger.key
export PBN2HL_LEDGER_KEY_FILE=$PWD/ledger.key
SRC="-pbn-url http://127.0.0.1:18791"
HL="-hl-url http://127.0.0.1:18790 -location hlLocSmileDental001 -hl-rate 100/1s"
STAGING="${HL/18790/18792}"
STAGING="${STAGING/hlLocSmileDental001/hlLocSmileStaging01}"
OWNERS="-company hlsimCompany00000001 -fallback-owner frontdesk@practice.example"
LAG="-search-lag none"

# step prints the command as the README writes it (variables unexpanded),
# runs it (expanded) and prints its output and a non-zero exit.
step() {
  local shown="$1"
  echo "\$ $shown"
  eval "$shown" 2>&1
  local rc=$?
  [ "$rc" -ne 0 ] && echo "[exit $rc]"
  echo
  return 0
}

echo "## A session against the simulators"
step 'pbn2hl propose $SRC $HL -from default -out map.yaml -review map-review.md'
step 'pbn2hl run $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl approve -map map.yaml -by "Dr. Jane Smile"'
step 'pbn2hl schema $SRC $HL -map map.yaml > schema-plan.md'
head -3 schema-plan.md
echo
step 'pbn2hl schema -apply $SRC $HL -map map.yaml -ledger smile.ledger -new-ledger'
step 'pbn2hl preflight $SRC $HL $OWNERS -map map.yaml -ledger smile.ledger'
step 'pbn2hl run $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'HL_TOKEN=pit-staging-token pbn2hl schema -apply $SRC $STAGING -map map.yaml -ledger staging.ledger -new-ledger'
step 'HL_TOKEN=pit-staging-token pbn2hl sample $SRC $STAGING $OWNERS $LAG -map map.yaml -ledger staging.ledger -report sample-report.json -values sample-values.html'
step 'pbn2hl approve-sample $SRC $HL -map map.yaml -ledger smile.ledger -report sample-report.json -actor "Dr. Jane Smile"'
step 'pbn2hl run $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl audit -ledger smile.ledger -problems -o problems.csv && head -2 problems.csv'
# A person edits the map (its description) and approves it again: the
# sample approval no longer covers it.
sed -i 's/^description: /description: (edited) /' map.yaml
step 'pbn2hl approve -map map.yaml -by "Dr. Jane Smile"'
step 'pbn2hl run $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl run -skip-sample $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl status -ledger smile.ledger'
# The practice changes (pbnsim -mutate-every 50s): wait for its next
# change, so that the delta, the reconcile and the repair below all run
# within one interval and see the same source.
seen=$(grep -c 'pbnsim mutated' pbnsim.log)
for _ in $(seq 70); do
  [ "$(grep -c 'pbnsim mutated' pbnsim.log)" -gt "$seen" ] && break
  sleep 1
done
step 'pbn2hl delta $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl status -ledger smile.ledger'

echo "## Verify and repair"
step 'pbn2hl reconcile $SRC $HL $OWNERS -map map.yaml -ledger smile.ledger -html smile-reconcile.html -practice "Smile Dental"'
victim=$(curl -s -X POST -H "Authorization: Bearer $HL_TOKEN" -H 'Version: 2021-07-28' \
  -H 'Content-Type: application/json' -d '{"locationId":"hlLocSmileDental001","pageLimit":1}' \
  'http://127.0.0.1:18790/contacts/search' | jq -r '.contacts[0].id // empty')
[ -n "$victim" ] || { echo "readme-session: no contact found to delete" >&2; exit 1; }
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $HL_TOKEN" -H 'Version: 2021-07-28' \
  "http://127.0.0.1:18790/contacts/$victim"
echo "\$ curl -X DELETE .../contacts/$victim     # someone deletes a migrated patient in HighLevel"
echo
step 'pbn2hl reconcile $SRC $HL $OWNERS -map map.yaml -ledger smile.ledger'
step 'pbn2hl repair $SRC $HL $OWNERS $LAG -map map.yaml -ledger smile.ledger'
step 'pbn2hl reconcile $SRC $HL $OWNERS -map map.yaml -ledger smile.ledger -json | jq .differences'

echo "## Undo"
step 'pbn2hl undo $HL -ledger smile.ledger -dry-run'
step 'pbn2hl undo $HL -ledger smile.ledger -schema'
step 'pbn2hl undo $HL -ledger smile.ledger -schema'
step 'pbn2hl status -ledger smile.ledger'
