#!/usr/bin/env bash
# CI, after pytest: the workflow on a real SLURM cluster.
#
# Brings up a one-node cluster on this machine (Debian's slurm-wlm and munge, started by hand:
# no systemd needed), runs a reduced demo (.ci/slurm-demo.yaml) through profiles/slurm with
# the CI settings of .ci/slurm-profile.yaml merged over it, checks from SLURM's own records
# that every non-local job went through sbatch and COMPLETED (pretraining with a GPU
# request), runs the same config locally and checks both runs wrote identical numbers.
# Stops every daemon it started, by PID, however it ends.  Needs root and apt (Debian 12:
# SLURM 22.05, munge 0.5).  Each pitfall of such a cluster is commented where it is handled.
#
# Writes /etc/slurm/slurm.conf and gres.conf (refuses to replace files it did not write).
# Environment: MODRP_SLURM_STATE (cluster state and logs; /var/tmp/modrp-slurm),
# MODRP_SLURM_TIMEOUT (seconds for each workflow run; 1200), MODRP_SLURM_KEEP=1 (keep the
# run directories).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
SNAKEMAKE=$ROOT/.venv/bin/snakemake
STATE=${MODRP_SLURM_STATE:-/var/tmp/modrp-slurm}
RUN_TIMEOUT=${MODRP_SLURM_TIMEOUT:-1200}
CONFIG=$ROOT/.ci/slurm-demo.yaml
TARGET=results/slurmci/metrics/models.csv
FAKE_GPUS=2                      # GRES gpu entries backed by /dev/null-like files
export PATH=/usr/local/sbin:/usr/sbin:/sbin:$PATH
# The default path: the jobstep plugin drops SLURM_CONF from the environment of the srun it
# runs inside each job, so a configuration elsewhere is not found there.
export SLURM_CONF=/etc/slurm/slurm.conf
MARK="# one-node cluster for modrp's CI, written by .ci/slurm.sh"
# a submit host's own choices must not leak into the check
unset SBATCH_ACCOUNT SBATCH_PARTITION MODRP_GPU_PARTITION MODRP_PRETRAIN_GPUS SLURM_JOB_ID

start=$(date +%s)
STARTED=()                       # "name:pid" of the daemons this script started
WORK=""
RUN_ID=""
log() { printf '[slurm-ci %4ds] %s\n' "$(( $(date +%s) - start ))" "$*"; }
die() { log "FAILED: $*"; exit 1; }

show() {                         # show FILE [LINES]: the end of a log, if there is one
    [[ -s $1 ]] || return 0
    printf '\n----- %s (last %s lines) -----\n' "$1" "${2:-40}"
    tail -n "${2:-40}" "$1"
}

dump_logs() {
    log "logs for diagnosis:"
    show "$STATE/log/slurmctld.log"; show "$STATE/log/slurmd.log"
    show "$STATE/log/munged.out" 20; show /var/log/munge/munged.log 20
    show "$STATE/log/jobcomp.log" 60
    if [[ -n $WORK ]]; then
        show "$WORK/slurm.log" 120; show "$WORK/local.log" 60
        local f
        # SLURM's own log of each job of the run: the failed ones are the interesting ones
        while IFS= read -r f; do show "$f" 30; done < <(
            find "$WORK/slurm/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | sort | tail -n 6)
        while IFS= read -r f; do show "$f" 30; done < <(
            grep -l -i -E 'error|traceback' -r "$WORK/slurm/results/slurmci/logs" 2>/dev/null | head -n 4)
    fi
    command -v sinfo >/dev/null && { echo; sinfo -N -l 2>&1 || true; sinfo -R 2>&1 || true; }
}

stop_daemons() {                 # in reverse order of starting, each by its PID
    local i name pid
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do
        name=${STARTED[i]%%:*}; pid=${STARTED[i]#*:}
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name (pid $pid) ignored SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        log "stopped $name (pid $pid)"
    done
    STARTED=()
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n $RUN_ID ]] && command -v squeue >/dev/null; then
        # whatever this run left queued or running (a killed Snakemake cannot cancel it)
        local left
        left=$(squeue -h --name "$RUN_ID" -t PENDING,RUNNING,CONFIGURING -o %i 2>/dev/null)
        [[ -n $left ]] && { log "cancelling left-over jobs: $left"; scancel $left; }
    fi
    (( rc == 0 )) || dump_logs
    stop_daemons
    if (( rc == 0 )) && [[ -n $WORK && ${MODRP_SLURM_KEEP:-0} != 1 ]]; then
        rm -rf "$WORK"
    elif [[ -n $WORK ]]; then
        log "run directories kept in $WORK"
    fi
    log "$( (( rc == 0 )) && echo passed || echo "FAILED (exit $rc)") in $(( $(date +%s) - start )) s"
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {                     # wait_for SECONDS DESCRIPTION COMMAND...: poll until it succeeds
    local seconds=$1 what=$2; shift 2
    local deadline=$(( $(date +%s) + seconds ))
    until "$@" >/dev/null 2>&1; do
        (( $(date +%s) < deadline )) || die "$what: not after ${seconds} s"
        sleep 0.5
    done
}

# ------------------------------------------------------------------ 1. packages
[[ -x $PY ]] || die "$PY missing: install the project first (.ci/run does)"
[[ $(id -u) == 0 ]] || die "needs root (installs packages, starts munged, slurmctld and slurmd)"
missing=()
for b in slurmctld slurmd sbatch squeue sinfo scontrol srun munged munge unmunge; do
    command -v "$b" >/dev/null || missing+=("$b")
done
if (( ${#missing[@]} )); then
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them" \
        "(Debian/Ubuntu packages slurm-wlm, slurm-client, munge)"
    log "installing slurm-wlm and munge (missing: ${missing[*]})"
    # keep apt from starting the daemons (a container has no init to start them anyway)
    policy_created=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d; policy_created=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    timeout -s KILL 300 apt-get update -qq || die "apt-get update"
    timeout -s KILL 600 apt-get install -y -qq --no-install-recommends \
        slurm-wlm slurmctld slurmd slurm-client munge >/dev/null || die "apt-get install"
    (( policy_created )) && rm -f /usr/sbin/policy-rc.d
    log "installed: $(dpkg-query -W -f '${Package} ${Version}  ' slurmctld munge)"
fi
command -v setpriv >/dev/null || die "setpriv (util-linux) missing"

# ------------------------------------------------------------------ 2. host name
HOST=$(hostname -s)
if ! getent hosts "$HOST" >/dev/null; then
    log "$HOST does not resolve: adding it to /etc/hosts"
    echo "127.0.0.1 $HOST" >> /etc/hosts
fi

# ------------------------------------------------------------------ 3. munge
munge_ok() { munge -n </dev/null | unmunge >/dev/null; }
mkdir -p "$STATE/log"
if munge_ok 2>/dev/null; then
    log "munged already running: using it"
else
    if [[ ! -s /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        install -d -o munge -g munge -m 0700 /etc/munge
        setpriv --reuid=munge --regid=munge --init-groups mungekey --create \
            --keyfile=/etc/munge/munge.key || die "mungekey"
    fi
    install -d -o munge -g munge -m 0755 /run/munge      # systemd would create it
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    # setpriv execs: $! is munged itself
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground \
        > "$STATE/log/munged.out" 2>&1 &
    STARTED+=("munged:$!")
    wait_for 20 "munged answering" munge_ok
    log "started munged (${STARTED[-1]})"
fi

# ------------------------------------------------------------------ 4. slurmctld, slurmd
cluster_ok() {                   # ours: partition main with GPU GRES on this host
    sinfo -h -p main -n "$HOST" -o '%G' 2>/dev/null | grep -q '^gpu:'
}
# (without a slurm.conf, scontrol spends a minute on DNS lookups for a configless cluster)
if [[ -s $SLURM_CONF ]] && timeout -s KILL 20 scontrol ping 2>/dev/null | grep -q 'is UP'; then
    cluster_ok || die "a SLURM controller already answers for $SLURM_CONF but has no" \
        "partition 'main' with GPU GRES on $HOST: not ours, not touching it"
    log "slurmctld already running for $SLURM_CONF: using it (not stopped at the end)"
else
    for pidfile in "$STATE/log/slurmctld.pid" "$STATE/log/slurmd.pid"; do
        if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            die "$(basename "$pidfile" .pid) from an earlier run still runs (pid $(cat "$pidfile"))" \
                "but the controller does not answer: stop it and retry"
        fi
    done
    for f in "$SLURM_CONF" /etc/slurm/gres.conf; do
        if [[ -s $f ]] && ! grep -qxF "$MARK" "$f"; then
            die "$f exists and was not written by this script: not overwriting it"
        fi
    done
    mkdir -p /etc/slurm
    node=$(slurmd -C | head -n 1)            # NodeName=... CPUs=... RealMemory=...
    [[ $node == NodeName=* ]] || die "slurmd -C printed: $node"
    # leave the system some headroom: a node configured above what slurmd sees is drained
    mem=$(sed -E 's/.*RealMemory=([0-9]+).*/\1/' <<< "$node")
    node=$(sed -E "s/RealMemory=[0-9]+/RealMemory=$(( mem * 9 / 10 ))/" <<< "$node")
    rm -rf "$STATE/ctld" "$STATE/d" "$STATE"/log/slurm*.log "$STATE/log/jobcomp.log"
    install -d -o slurm -g slurm -m 0755 "$STATE/ctld" "$STATE/log"
    install -d -m 0755 "$STATE/d"
    cat > "$SLURM_CONF" <<CONF
$MARK
ClusterName=modrpci
SlurmctldHost=$HOST
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/log/slurmctld.pid
SlurmdPidFile=$STATE/log/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ReturnToService=2
# no cgroups needed
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
# no slurmdbd: the executor plugin asks squeue (it needs finished jobs kept: MinJobAge)
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.log
MinJobAge=3600
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
GresTypes=gpu
$node Gres=gpu:$FAKE_GPUS State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
    # placeholder GPUs: SLURM schedules them and sets CUDA_VISIBLE_DEVICES; the jobs run on
    # the CPU (a GRES line without File= is dropped by slurmd)
    echo "$MARK" > /etc/slurm/gres.conf
    for dev in /dev/null /dev/zero /dev/full /dev/random; do
        (( $(grep -c ^NodeName /etc/slurm/gres.conf) < FAKE_GPUS )) || break
        echo "NodeName=$HOST Name=gpu File=$dev" >> /etc/slurm/gres.conf
    done
    /usr/sbin/slurmctld -D -f "$SLURM_CONF" > "$STATE/log/slurmctld.out" 2>&1 &
    STARTED+=("slurmctld:$!")
    wait_for 30 "slurmctld answering" bash -c 'scontrol ping | grep -q "is UP"'
    /usr/sbin/slurmd -D -f "$SLURM_CONF" > "$STATE/log/slurmd.out" 2>&1 &
    STARTED+=("slurmd:$!")
    log "started slurmctld and slurmd: ${STARTED[*]}"
fi
node_state() { sinfo -h -n "$HOST" -o %T 2>/dev/null; }
deadline=$(( $(date +%s) + 60 ))
until [[ $(node_state) == idle ]]; do
    state=$(node_state)
    case $state in
        *inval*|*drain*) die "node $HOST is '$state': $(sinfo -h -R -o %E)" ;;
    esac
    (( $(date +%s) < deadline )) || die "node $HOST not idle after 60 s (state '$state')"
    sleep 0.5
done
gpus=$(timeout -s KILL 60 srun -t 1 --gpus=1 printenv CUDA_VISIBLE_DEVICES) ||
    die "srun --gpus=1 on the new cluster"
log "cluster up: $(sinfo -h -o '%P %D %T %c CPUs %m MB %G')  (srun --gpus=1 sees CUDA_VISIBLE_DEVICES=$gpus)"

# ------------------------------------------------------------------ 5. the SLURM run
WORK=$(mktemp -d "${TMPDIR:-/tmp}/modrp-slurm-ci.XXXXXX")
mkdir -p "$WORK/slurm" "$WORK/local"
"$PY" .ci/slurm_check.py profile profiles/slurm/config.yaml .ci/slurm-profile.yaml "$WORK/profile"
log "workflow through SLURM: $TARGET of $(basename "$CONFIG") in $WORK/slurm"
t0=$(date +%s)
# -s KILL: a Snakemake whose status queries fail (sacct without slurmdbd) ignores SIGTERM
if ! timeout -s KILL "$RUN_TIMEOUT" "$SNAKEMAKE" -s "$ROOT/Snakefile" -d "$WORK/slurm" \
        --profile "$WORK/profile" --workflow-profile none \
        --configfile "$CONFIG" -- "$TARGET" > "$WORK/slurm.log" 2>&1; then
    RUN_ID=$(sed -n 's/.*SLURM run ID: \([A-Za-z0-9_-]*\).*/\1/p' "$WORK/slurm.log" | head -n 1)
    die "the workflow failed through SLURM (or ran past ${RUN_TIMEOUT} s)"
fi
slurm_s=$(( $(date +%s) - t0 ))
RUN_ID=$(sed -n 's/.*SLURM run ID: \([A-Za-z0-9_-]*\).*/\1/p' "$WORK/slurm.log" | head -n 1)
log "SLURM run done in ${slurm_s} s (run id $RUN_ID)"
"$PY" .ci/slurm_check.py records --log "$WORK/slurm.log" --jobcomp "$STATE/log/jobcomp.log" \
    --gpu-rule pretrain | tee "$WORK/records.txt"

# ------------------------------------------------------------------ 6. the same, locally
cpus=$(sinfo -h -n "$HOST" -o %c)
log "the same config locally (--cores $cpus) in $WORK/local"
t0=$(date +%s)
timeout -s KILL "$RUN_TIMEOUT" "$SNAKEMAKE" -s "$ROOT/Snakefile" -d "$WORK/local" \
    --cores "$cpus" --configfile "$CONFIG" -- "$TARGET" > "$WORK/local.log" 2>&1 ||
    die "the local run failed"
local_s=$(( $(date +%s) - t0 ))
"$PY" .ci/slurm_check.py compare "$WORK/slurm/results/slurmci" "$WORK/local/results/slurmci"

log "summary: $(grep -m1 '^sbatch jobs:' "$WORK/records.txt"); SLURM run ${slurm_s} s," \
    "local run ${local_s} s; results identical"
