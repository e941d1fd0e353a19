#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm test and for trying
# `faultline slurm ... --submit` by hand.
#
#   scripts/slurm-local.sh install   install slurmctld, slurmd, slurm-client and munge
#                                    with apt-get (as root), unless already installed
#   scripts/slurm-local.sh start     write slurm.conf, start munged (unless running),
#                                    slurmctld and slurmd, wait for the node to be idle
#   scripts/slurm-local.sh stop      stop the daemons that `start` started
#   scripts/slurm-local.sh env       print the SLURM_CONF line to use the cluster
#
# Everything lives in FAULTLINE_SLURM_DIR (default /tmp/faultline-slurm): slurm.conf,
# state, spool, logs and the ids of the daemons started. The cluster's config is not
# installed in /etc: commands reach it through SLURM_CONF=$FAULTLINE_SLURM_DIR/slurm.conf.
set -euo pipefail

DIR=${FAULTLINE_SLURM_DIR:-/tmp/faultline-slurm}
CONF=$DIR/slurm.conf
PACKAGES=(slurmctld slurmd slurm-client munge)
PROGRAMS=(slurmctld slurmd sbatch squeue sinfo scontrol munged munge)

die() {
    echo "slurm-local.sh: $*" >&2
    exit 1
}

missing_programs() {
    local p missing=()
    for p in "${PROGRAMS[@]}"; do
        command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || missing+=("$p")
    done
    echo "${missing[*]}"
}

install() {
    local missing
    missing=$(missing_programs)
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "missing $missing (Debian packages ${PACKAGES[*]}), and installing them needs root: run as root or install them"
    command -v apt-get >/dev/null 2>&1 || die "missing $missing and no apt-get to install Debian packages ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >"$DIR.apt.log" 2>&1 || { tail -5 "$DIR.apt.log" >&2; die "apt-get update failed (no network or no package source?), so ${PACKAGES[*]} cannot be installed"; }
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$DIR.apt.log" 2>&1 || { tail -5 "$DIR.apt.log" >&2; die "apt-get install ${PACKAGES[*]} failed"; }
    missing=$(missing_programs)
    [ -z "$missing" ] || die "installed ${PACKAGES[*]}, yet $missing is still missing"
}

write_conf() {
    local host cpus
    host=$(hostname -s)
    cpus=$(nproc)
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
    cat >"$CONF" <<CONF
# One-node cluster written by faultline's scripts/slurm-local.sh.
ClusterName=faultline
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

munge_works() {
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1
}

start_munge() {
    munge_works && return 0
    [ -f /etc/munge/munge.key ] || {
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
        fi
    }
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged
    else
        /usr/sbin/munged --force
    fi
    for _ in $(seq 50); do
        if munge_works; then
            cat /run/munge/munged.pid >"$DIR/munged.started" 2>/dev/null || echo started >"$DIR/munged.started"
            return 0
        fi
        sleep 0.1
    done
    die "munged did not start (see /var/log/munge/munged.log)"
}

start() {
    install
    write_conf
    export SLURM_CONF=$CONF
    start_munge
    /usr/sbin/slurmctld -f "$CONF" || die "slurmctld did not start (see $DIR/log/slurmctld.log)"
    /usr/sbin/slurmd -f "$CONF" || die "slurmd did not start (see $DIR/log/slurmd.log)"
    local host state
    host=$(hostname -s)
    for _ in $(seq 120); do
        state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
        case "$state" in
            idle | mix | alloc) echo "slurm-local.sh: node $host is $state; use SLURM_CONF=$CONF"; return 0 ;;
            down* | drain* | fail*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
        esac
        sleep 0.5
    done
    tail -5 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
    die "node $host did not become idle within 60 s (sinfo says: ${state:-nothing})"
}

stop_pidfile() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$file"
}

stop() {
    stop_pidfile "$DIR/slurmd.pid"
    stop_pidfile "$DIR/slurmctld.pid"
    if [ -f "$DIR/munged.started" ]; then
        local pid
        pid=$(cat "$DIR/munged.started")
        case "$pid" in
            '' | *[!0-9]*) ;;
            *) kill "$pid" 2>/dev/null || true ;;
        esac
        rm -f "$DIR/munged.started"
    fi
}

case "${1:-}" in
    install) mkdir -p "$(dirname "$DIR")"; install ;;
    start) start ;;
    stop) stop ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) die "usage: $0 install|start|stop|env" ;;
esac
