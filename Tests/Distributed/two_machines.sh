#!/usr/bin/env bash
# two_machines.sh: two simulated machines on one box, for multi-machine MPI runs of Weft.
#
# Two Linux network namespaces, "machine A" and "machine B", joined by one veth pair:
#
#     namespace weft-a, host name weft-a          namespace weft-b, host name weft-b
#     lo, weft-va 10.231.0.1/24  <---- veth ---->  weft-vb 10.231.0.2/24, lo
#
# `run` starts `mpirun` inside A with a hostfile naming both addresses (slots=1 each), so
# rank 0 runs in A and rank 1 in B, and the two ranks can only reach each other over the
# veth pair, with TCP. Open MPI starts its daemon (orted) on B through an rsh agent that
# this script writes into a temporary folder: Open MPI calls it as it would call ssh,
# `agent [options] host command...` (here `10.231.0.2 "" orted --daemonize -mca ...`), and
# the agent runs `ip netns exec NS sh -c "command..."` in the namespace owning that address,
# with a clean environment as a fresh ssh login would have (PATH, HOME, USER; the rest comes
# by `mpirun -x`), and in a UTS namespace whose host name is the namespace's name (so the
# ranks see host names weft-a and weft-b; the box's own host name is untouched).
# `partition` takes the veth down on both ends (a cut cable: no process dies, no packet
# passes), `heal` brings it up again. The filesystem is shared: binaries, configs, the
# dataset and run folders are at the same paths on both "machines".
#
# Usage (as root; needs iproute2, util-linux's unshare, python3, Open MPI's mpirun/orted):
#     Tests/Distributed/two_machines.sh up          # (re)create namespaces, veth, addresses
#     Tests/Distributed/two_machines.sh run [MPIRUN-OPTIONS...] -- CMD [ARGS...]
#     Tests/Distributed/two_machines.sh stats       # byte counters of the veth (both ends)
#     Tests/Distributed/two_machines.sh partition   # veth down on both ends
#     Tests/Distributed/two_machines.sh heal        # veth up again
#     Tests/Distributed/two_machines.sh down        # remove the namespaces (and the veth)
#
# Example:
#     Tests/Distributed/two_machines.sh up
#     Tests/Distributed/two_machines.sh run -- "$(pwd)/.build/release/weft" train \
#         Configs/cnn-bn.json --set data.trainLimit=3000 --set data.testLimit=500 \
#         --set training.epochs=2 --set checkpoint.directory=/tmp/nn --threads 1 --no-report
#     Tests/Distributed/two_machines.sh down
#
# `up` first removes what a previous `up` left (and kills processes left in the namespaces);
# it ends with a TCP connection from A to B. `run` exits with mpirun's status. CMD runs on
# both ranks from the current directory; give it as an absolute path. MPIRUN-OPTIONS go to
# mpirun before CMD, e.g. `-x WEFT_SOMETHING` or `--mca oob_tcp_keepalive_time 10`.
# SIGINT/SIGTERM to `run` are passed to mpirun.
#
# Environment:
#     WEFT_NETNS_PREFIX  names: PREFIX-a, PREFIX-b (namespaces), PREFIX-va, PREFIX-vb (veth);
#                        default "weft" (at most 12 characters: interface names are <= 15).
#                        Several pairs can exist at once with other prefixes and networks.
#     WEFT_NETNS_NET     the first three octets of the /24, default 10.231.0 (.1 is A, .2 is B)
#     WEFT_NETNS_TCP_RETRIES2  `up` sets net.ipv4.tcp_retries2 in both namespaces (a per-
#                        namespace setting; Linux's default is 15), so that TCP gives up on
#                        a cut link sooner; see below
#     WEFT_NETNS_VERBOSE=1  print the mpirun command, and the agent logs each call
#
# The mpirun options that `run` passes:
#     --mca plm_rsh_agent AGENT        reach B through its namespace instead of ssh
#     --bind-to none                   essential: each orted thinks it owns the box's cores,
#                                      and by default both ranks are bound to core 0
#     --mca pml ob1 --mca btl tcp,self TCP only, even where UCX loads (UCX could use shared
#                                      memory, /dev/shm being shared by both namespaces)
#     --mca btl_tcp_if_include NET.0/24 --mca oob_tcp_if_include NET.0/24
#     --mca plm_rsh_no_tree_spawn 1
# A hostfile of addresses matters: mpirun counts 10.231.0.1 as its own node because the
# address is on one of its interfaces.
#
# What a partition does (measured with Open MPI 4.1.4 and Linux's defaults; 2025-12):
# - Nothing notices soon. The ranks wait in the allreduce (spinning, ~70% CPU each); TCP
#   retransmits with exponential backoff. A 20 s partition, then `heal`: the run went on and
#   finished (exit 0).
# - mpirun notices only when its TCP connection to the orted on B fails. While it has
#   nothing to send, Open MPI's keepalive does it: oob_tcp_keepalive_time 300 s of silence,
#   then 9 probes 20 s apart. A partition 15 s into a weft run: mpirun printed "ORTE has
#   lost communication with a remote daemon" and exited 205 after 472 s; the orted and rank
#   on B ended too.
# - A rank that calls MPI_Abort during the partition ends at once, but mpirun does not:
#   rank 0 (beside mpirun): mpirun has to tell the orted on B to kill rank 1, TCP
#   retransmits that message (keepalive does not apply while data is unacknowledged) until
#   tcp_retries2 is used up: mpirun exited 940 s after the abort, with the abort's code.
#   Rank 1 (on B): mpirun does not hear of it; the keepalive ends the job (494 s, exit 205,
#   the abort's code is lost) and the orted on B stays until its own TCP gives up (`down`
#   kills it). A weft run with the watchdog (--rank-timeout 10) is the rank 0 case: the
#   error line naming rank 1 (host weft-b) and both ranks' end at partition + 12.5 s, but
#   mpirun's exit (1) only when TCP gave up, 965 s after the partition. The short
#   keepalive options below do not shorten this case (952 s).
# - Shorter: WEFT_NETNS_TCP_RETRIES2=6 made the rank 0 case end 32 s after the partition
#   (exit 3, the abort's code) and the watchdog run 41 s after it (exit 1); for the idle
#   case, `run --mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5
#   --mca oob_tcp_keepalive_probes 3 -- ...` ended the rank 1 case 24 s after it.
set -euo pipefail

prefix=${WEFT_NETNS_PREFIX:-weft}
net=${WEFT_NETNS_NET:-10.231.0}
ns_a=$prefix-a
ns_b=$prefix-b
veth_a=$prefix-va
veth_b=$prefix-vb
addr_a=$net.1
addr_b=$net.2
subnet=$net.0/24

die() {
    echo "two_machines.sh: $*" >&2
    exit 2
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
}

[ ${#prefix} -le 12 ] || die "WEFT_NETNS_PREFIX must be at most 12 characters (interface names)"

have_ns() {
    ip netns list | awk '{print $1}' | grep -qx -- "$1"
}

require_up() {
    have_ns "$ns_a" && have_ns "$ns_b" || die "namespaces $ns_a/$ns_b are missing: run '$0 up' first"
}

cmd_down() {
    local ns
    for ns in "$ns_a" "$ns_b"; do
        if have_ns "$ns"; then
            # Processes left in the namespace (an orted, a rank) would keep it alive, unnamed.
            local pids
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            if [ -n "$pids" ]; then
                echo "two_machines.sh: killing processes left in $ns: $(echo $pids)" >&2
                kill -9 $pids 2>/dev/null || true
            fi
            ip netns del "$ns"
        fi
    done
    # A veth pair dies with its namespace; nothing is ever created in the root namespace.
}

cmd_up() {
    cmd_down
    ip netns add "$ns_a"
    ip netns add "$ns_b"
    ip -n "$ns_a" link add "$veth_a" type veth peer name "$veth_b" netns "$ns_b"
    ip -n "$ns_a" addr add "$addr_a/24" dev "$veth_a"
    ip -n "$ns_b" addr add "$addr_b/24" dev "$veth_b"
    ip -n "$ns_a" link set lo up
    ip -n "$ns_b" link set lo up
    ip -n "$ns_a" link set "$veth_a" up
    ip -n "$ns_b" link set "$veth_b" up
    if [ -n "${WEFT_NETNS_TCP_RETRIES2:-}" ]; then
        ip netns exec "$ns_a" sysctl -qw net.ipv4.tcp_retries2="$WEFT_NETNS_TCP_RETRIES2"
        ip netns exec "$ns_b" sysctl -qw net.ipv4.tcp_retries2="$WEFT_NETNS_TCP_RETRIES2"
    fi
    # The path is proven by a TCP connection from A (bash's /dev/tcp) to a listener in B.
    ip netns exec "$ns_b" timeout 10 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 47999)); s.listen(1); c, _ = s.accept(); c.sendall(b"ok")' "$addr_b" &
    local listener=$! tries=0 answer=
    until answer=$(ip netns exec "$ns_a" timeout 2 bash -c \
        "exec 3<>/dev/tcp/$addr_b/47999 && cat <&3" 2>/dev/null) && [ "$answer" = ok ]; do
        tries=$((tries + 1))
        [ $tries -lt 20 ] || { kill "$listener" 2>/dev/null || true; die "$addr_a cannot reach $addr_b"; }
        sleep 0.2
    done
    wait "$listener" || true
    echo "up: $ns_a ($veth_a $addr_a) <-> $ns_b ($veth_b $addr_b)"
}

cmd_partition() {
    require_up
    ip -n "$ns_a" link set "$veth_a" down
    ip -n "$ns_b" link set "$veth_b" down
    echo "partition: $veth_a and $veth_b down at $(date +%T)"
}

cmd_heal() {
    require_up
    ip -n "$ns_a" link set "$veth_a" up
    ip -n "$ns_b" link set "$veth_b" up
    echo "heal: $veth_a and $veth_b up at $(date +%T)"
}

cmd_stats() {
    require_up
    local ns dev
    for pair in "$ns_a:$veth_a" "$ns_b:$veth_b"; do
        ns=${pair%%:*}
        dev=${pair#*:}
        printf '%s %s rx_bytes=%s tx_bytes=%s rx_packets=%s tx_packets=%s\n' "$ns" "$dev" \
            "$(ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/rx_bytes")" \
            "$(ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/tx_bytes")" \
            "$(ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/rx_packets")" \
            "$(ip netns exec "$ns" cat "/sys/class/net/$dev/statistics/tx_packets")"
    done
}

# The rsh agent mpirun calls instead of ssh. Open MPI calls it as `agent [options] host cmd...`
# (the remote command as several words that ssh would join with spaces and hand to a shell).
write_agent() {
    local agent=$1
    cat >"$agent" <<EOF
#!/bin/sh
# rsh agent of two_machines.sh: [options] host command... -> ip netns exec NS sh -c "command..."
[ "\${WEFT_NETNS_VERBOSE:-0}" = 1 ] && echo "agent: \$*" >&2
ns=
while [ \$# -gt 0 ]; do
    case "\$1" in
        $addr_a) ns=$ns_a; shift; break ;;
        $addr_b) ns=$ns_b; shift; break ;;
        *) shift ;;  # an option of ssh (or its value) before the host
    esac
done
if [ -z "\$ns" ]; then
    echo "two_machines.sh agent: no host $addr_a or $addr_b in the arguments" >&2
    exit 255
fi
# As a fresh ssh login: a clean environment (what the ranks need comes by mpirun -x).
# The machine's host name is the namespace's (a UTS namespace of its own, as for mpirun in A).
exec ip netns exec "\$ns" unshare --uts env -i \\
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    HOME="\${HOME:-/root}" USER="\${USER:-root}" LOGNAME="\${LOGNAME:-root}" SHELL=/bin/sh \\
    sh -c 'hostname "\$1" && exec sh -c "\$2"' sh "\$ns" "\$*"
EOF
    chmod +x "$agent"
}

cmd_run() {
    require_up
    local options=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        options+=("$1")
        shift
    done
    [ $# -gt 0 ] || die "run: missing '--' before the command"
    shift
    [ $# -gt 0 ] || die "run: missing the command after '--'"

    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/weft-two-machines.XXXXXX")
    write_agent "$dir/agent"
    printf '%s slots=1\n%s slots=1\n' "$addr_a" "$addr_b" >"$dir/hostfile"

    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    local forward=(-x PATH -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
    [ -z "${LD_LIBRARY_PATH:-}" ] || forward+=(-x LD_LIBRARY_PATH)
    [ -z "${WEFT_NETNS_VERBOSE:-}" ] || forward+=(-x WEFT_NETNS_VERBOSE)
    # Under Tests/sanitizers.sh the ranks are sanitized builds: they need its options on B too.
    [ -z "${ASAN_OPTIONS:-}" ] || forward+=(-x ASAN_OPTIONS)
    [ -z "${TSAN_OPTIONS:-}" ] || forward+=(-x TSAN_OPTIONS)

    local mpirun_args=(
        mpirun --allow-run-as-root
        -np 2 --hostfile "$dir/hostfile" --bind-to none
        --mca plm_rsh_agent "$dir/agent"
        --mca plm_rsh_no_tree_spawn 1
        --mca pml ob1 --mca btl tcp,self
        --mca btl_tcp_if_include "$subnet"
        --mca oob_tcp_if_include "$subnet"
        "${forward[@]}"
        "${options[@]}"
        "$@"
    )
    [ "${WEFT_NETNS_VERBOSE:-0}" != 1 ] || echo "run: ip netns exec $ns_a ${mpirun_args[*]}" >&2

    # mpirun in the background so that a signal to this script reaches it (bash runs traps
    # only between commands); the temporary folder goes when mpirun has ended.
    local pid status=0
    ip netns exec "$ns_a" unshare --uts sh -c 'hostname "$1" && shift && exec "$@"' sh "$ns_a" \
        "${mpirun_args[@]}" &
    pid=$!
    trap 'kill -TERM $pid 2>/dev/null || true' TERM
    trap 'kill -INT $pid 2>/dev/null || true' INT
    while :; do
        status=0
        wait "$pid" || status=$?
        # wait returns >128 when a trapped signal interrupts it: mpirun may still be running.
        kill -0 "$pid" 2>/dev/null || break
    done
    trap - TERM INT
    rm -rf "$dir"
    return "$status"
}

[ $# -gt 0 ] || usage
[ "$(id -u)" = 0 ] || die "needs root (ip netns)"
command=$1
shift
case "$command" in
    up) cmd_up ;;
    down) cmd_down ;;
    partition) cmd_partition ;;
    heal) cmd_heal ;;
    stats) cmd_stats ;;
    run) cmd_run "$@" ;;
    -h | --help | help) usage ;;
    *) die "unknown command '$command' (up, run, stats, partition, heal, down)" ;;
esac
