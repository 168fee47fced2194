#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm executor's tests (issue 10.2):
#   bash test/services/slurm.sh        # as root; idempotent (fine when it already runs)
# 1. installs Debian's slurm-wlm and munge when missing (apt-get);
# 2. creates the munge key (1,024 random bytes, owner munge, mode 400) when missing, starts munged;
# 3. writes /etc/slurm/slurm.conf (marked as ours; a slurm.conf someone else wrote is used as is):
#    settings seen working here as root (docs/ and /work/shared/DESIGN.md): proctrack/linuxproc,
#    task/none, no cgroup.conf, SlurmUser=root, this node with CPUs=$(nproc), one partition;
#    KillWait=2 so a cancelled or timed-out task is killed 2 s after its SIGTERM (default 30 s),
#    MinJobAge=3600 so ended tasks stay visible to `scontrol show job` for an hour (no
#    accounting store here, so `sacct` has nothing: the executor reads final states from scontrol);
# 4. starts slurmctld and slurmd unless they answer already, and waits until sinfo shows the
#    node idle (a node left down or drained by an earlier run is resumed).
set -euo pipefail

log() { echo "slurm.sh: $*"; }
die() {
  echo "slurm.sh: error: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (installs packages, starts munged/slurmctld/slurmd as root)"

# ---- 1. packages ------------------------------------------------------------------------------
missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  # Other scripts (the PostgreSQL service) may be installing at the same time: wait for dpkg's lock.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  # policy-rc.d 101: the packages' postinst scripts must not start daemons with the default config.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
    "${missing[@]}" || {
    [ $created_policy = 1 ] && rm -f "$policy"
    die "apt-get install ${missing[*]} failed"
  }
  [ $created_policy = 1 ] && rm -f "$policy"
fi
command -v slurmctld >/dev/null || die "slurmctld not found after installing slurm-wlm"

HOST=$(hostname -s)
CPUS=$(nproc)

# ---- 2. munge ---------------------------------------------------------------------------------
KEY=/etc/munge/munge.key
if [ ! -s "$KEY" ]; then
  log "creating $KEY"
  mkdir -p /etc/munge
  head -c 1024 /dev/urandom >"$KEY"
fi
chown munge:munge /etc/munge "$KEY"
chmod 700 /etc/munge
chmod 400 "$KEY"
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "munged answers already"
else
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 1 50); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.2
  done
  munge -n </dev/null | unmunge >/dev/null || die "munged does not answer (see /var/log/munge/munged.log)"
fi

# ---- 3. slurm.conf ----------------------------------------------------------------------------
CONF=/etc/slurm/slurm.conf
MARK="# written by experiment-manager test/services/slurm.sh"
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
want=$(
  cat <<EOF
$MARK
ClusterName=expman
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
KillWait=2
MinJobAge=3600
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
)
changed=0
if [ -e "$CONF" ] && ! head -1 "$CONF" | grep -qF "$MARK"; then
  log "using the existing $CONF (not written by this script)"
elif [ ! -e "$CONF" ] || [ "$(cat "$CONF")" != "$want" ]; then
  log "writing $CONF"
  printf '%s\n' "$want" >"$CONF"
  changed=1
fi
# 22.05 does not know CgroupPlugin=disabled; with task/none and proctrack/linuxproc no cgroup.conf is needed.
if [ -e /etc/slurm/cgroup.conf ] && head -1 /etc/slurm/cgroup.conf | grep -qF "$MARK"; then rm -f /etc/slurm/cgroup.conf; fi

# ---- 4. daemons -------------------------------------------------------------------------------
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if running /run/slurmctld.pid && [ $changed = 1 ]; then
  log "slurm.conf changed: slurmctld and slurmd re-read it (scontrol reconfigure)"
  scontrol reconfigure || true
fi
if running /run/slurmctld.pid; then
  log "slurmctld runs already (pid $(cat /run/slurmctld.pid))"
else
  log "starting slurmctld"
  slurmctld
fi
for _ in $(seq 1 100); do
  scontrol ping 2>/dev/null | grep -q "UP" && break
  sleep 0.2
done
scontrol ping | grep -q UP || die "slurmctld does not answer (see /var/log/slurm/slurmctld.log)"
if running /run/slurmd.pid; then
  log "slurmd runs already (pid $(cat /run/slurmd.pid))"
else
  log "starting slurmd"
  slurmd
fi

state() { sinfo -h -n "$HOST" -o %T 2>/dev/null | head -1; }
for i in $(seq 1 150); do
  s=$(state)
  case "$s" in
    idle | mixed | allocated | completing) break ;;
    down* | drain* | drained*)
      # Left down or drained by an earlier run (a restart, a test): put it back in service.
      [ $((i % 10)) = 1 ] && scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true
      ;;
  esac
  sleep 0.2
done
s=$(state)
case "$s" in
  idle | mixed | allocated | completing) log "node $HOST is $s (CPUs=$CPUS); sinfo:" && sinfo ;;
  *) die "node $HOST is '${s:-unknown}' after 30 s (see /var/log/slurm/slurmd.log and slurmctld.log)" ;;
esac
