#!/usr/bin/env bash
# A real single-node Slurm cluster for the tests: Debian's munge and slurm-wlm, started
# without systemd or cgroups, everything in one private folder, so that it cannot meet
# another cluster (or another copy of itself) on the same machine.
#
#   scripts/cluster/slurm_cluster.sh start      prints the cluster's folder DIR; use it
#                                               with SLURM_CONF=DIR/slurm.conf (sbatch, ...)
#   scripts/cluster/slurm_cluster.sh stop DIR   cancels its jobs, stops its daemons and job
#                                               processes, deletes DIR; safe to call twice
#   scripts/cluster/slurm_cluster.sh logs DIR   prints the daemons' logs
#
# Needs root (munged and slurmd run as root, as on a compute node) and the packages
# slurm-wlm (slurmctld, slurmd, slurm-client) and munge. The node is this machine with
# all its CPUs; a partition shares each CPU between up to 4 jobs (OverSubscribe=FORCE:4)
# so that two arrays submitted together really run at the same time. There is no
# accounting daemon: finished jobs stay in `scontrol show job` for an hour (MinJobAge).
# No cgroups either (cgroup.conf), so that it also runs in a chroot (CI's fresh roots).
# Ports are free ones found at start. `start` stops whatever it started if it fails.
set -euo pipefail

die() { echo "slurm_cluster: $*" >&2; exit 2; }

# A TCP port on 127.0.0.1 that nothing listens on (bash's /dev/tcp: no extra tool).
free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free TCP port found"
}

# Kills the processes whose environment names this cluster's slurm.conf: slurmd's job
# steps and the jobs' own processes (they inherit SLURM_CONF), and nothing else.
kill_job_processes() {
  local conf=$1 pid
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}; pid=${pid%/environ}
    [[ $pid != "$$" ]] || continue
    if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

# Stops the daemon whose pid is in $1: TERM, then KILL after 10 s.
stop_daemon() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  [[ $(basename "$dir") == smartcrop-slurm.* ]] || die "$dir is not a folder made by slurm_cluster.sh start"
  export SLURM_CONF=$dir/slurm.conf
  if [[ -s $dir/slurmctld.pid ]] && kill -0 "$(<"$dir/slurmctld.pid")" 2>/dev/null; then
    timeout 20 scancel --user=root --full 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -z $(timeout 10 squeue -h -t RUNNING,COMPLETING 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  stop_daemon "$dir/slurmd.pid"
  stop_daemon "$dir/slurmctld.pid"
  kill_job_processes "$dir/slurm.conf"
  stop_daemon "$dir/munge/munged.pid"
  rm -rf --one-file-system "$dir"
}

logs() {
  local dir=$1 log
  for log in "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munge/munged.log"; do
    [[ -f $log ]] && { echo "----- $log"; tail -n 60 "$log"; }
  done
  return 0
}

start() {
  [[ $(id -u) -eq 0 ]] || die "needs root (munged and slurmd run as root)"
  local tool
  for tool in munged slurmctld slurmd sbatch scontrol; do
    command -v "$tool" >/dev/null || die "needs $tool: apt-get install slurm-wlm munge"
  done
  local dir host node cpus memory ctld_port slurmd_port
  # Short: a Unix socket path is limited to 108 bytes.
  dir=$(mktemp -d /tmp/smartcrop-slurm.XXXXXX)
  trap 'status=$?; if ((status != 0)); then logs "$dir" >&2; stop "$dir"; fi' EXIT
  # munged wants its socket's folders searchable by all, its key readable by root only.
  chmod 711 "$dir"
  mkdir -m 711 "$dir/munge"
  mkdir -m 700 "$dir/key" "$dir/ctld" "$dir/spool"
  host=$(hostname -s)
  node=node1
  cpus=$(nproc)
  memory=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  [[ $slurmd_port != "$ctld_port" ]] || slurmd_port=$((ctld_port + 1))

  dd if=/dev/urandom of="$dir/key/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/key/munge.key"
  munged --origin=127.0.0.1 --key-file="$dir/key/munge.key" --socket="$dir/munge/munge.socket.2" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged did not start (log: $(tail -n 3 "$dir/munge/munged.log" 2>/dev/null))"

  cat >"$dir/slurm.conf" <<EOF
# Made by scripts/cluster/slurm_cluster.sh for this machine ($host, $cpus CPUs).
ClusterName=smartcrop-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (120 s by default).
AuthInfo=socket=$dir/munge/munge.socket.2,cred_expire=10
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups, no systemd: processes tracked by parentage, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# No accounting daemon: finished jobs are kept in memory for an hour instead.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=3600
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
KillWait=10
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  # slurmd loads a cgroup plugin even with proctrack/linuxproc and task/none, and its
  # "autodetect" fails where no cgroup file system is mounted (a chroot, a container).
  # Slurm 23.02 and later can turn cgroups off; before, the v1 plugin starts without one.
  local version
  version=$(slurmd -V | sed -n 's/^slurm[-a-z]* \([0-9]*\)\.\([0-9]*\).*/\1\2/p')
  if ((${version:-0} >= 2302)); then echo "CgroupPlugin=disabled"; else echo "CgroupPlugin=cgroup/v1"; fi >"$dir/cgroup.conf"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i || die "slurmctld did not start"
  slurmd -N "$node" || die "slurmd did not start"

  local state=""
  for _ in $(seq 120); do
    state=$(scontrol show node "$node" 2>/dev/null | sed -n 's/.*State=\([A-Z+_]*\).*/\1/p' | head -n 1)
    [[ $state == IDLE ]] && break
    sleep 0.5
  done
  [[ $state == IDLE ]] || die "node $node is ${state:-unknown}, not IDLE, after 60 s"
  trap - EXIT
  echo "slurm_cluster: $node ($cpus CPUs) idle; slurmctld on 127.0.0.1:$ctld_port, slurmd on :$slurmd_port" >&2
  echo "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: slurm_cluster.sh stop DIR}" ;;
  logs) logs "${2:?usage: slurm_cluster.sh logs DIR}" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
