#!/usr/bin/env bash
# two_machines.sh: two simulated machines on one box, for multi-machine MPI runs of Weft.
#
# Two Linux network namespaces, "machine A" and "machine B", joined by one veth pair:
#
#     namespace weft-a                          namespace weft-b
#     lo, weft-va 10.231.0.1/24  <--- veth --->  weft-vb 10.231.0.2/24, lo
#
# `run` starts `mpirun` inside A with a hostfile naming both addresses (slots=1 each), so
# rank 0 runs in A and rank 1 in B, and the two ranks can only reach each other over the
# veth pair, with TCP (no shared memory, no UCX). Open MPI starts the daemon (orted) on B
# through an rsh agent written by this script: it is called as ssh would be
# (`[options] host command...`) and runs the command with `ip netns exec NS sh -c` in the
# namespace that owns the address, with a clean environment as a fresh ssh login would have.
# `partition` takes the veth link down on both ends (a cut cable, no process dies), `heal`
# brings it back. The filesystem is shared, so binaries, configs, the dataset and run
# folders are at the same paths on both "machines".
#
# Usage (as root; needs iproute2 and Open MPI's mpirun/orted):
#     Tests/Distributed/two_machines.sh up          # (re)create namespaces, veth, addresses
#     Tests/Distributed/two_machines.sh run [MPIRUN-OPTIONS...] -- CMD [ARGS...]
#     Tests/Distributed/two_machines.sh stats       # byte counters of the veth (both ends)
#     Tests/Distributed/two_machines.sh partition   # veth down on both ends
#     Tests/Distributed/two_machines.sh heal        # veth up again
#     Tests/Distributed/two_machines.sh down        # remove namespaces and veth
#
# Example:
#     Tests/Distributed/two_machines.sh up
#     Tests/Distributed/two_machines.sh run -- "$(pwd)/.build/release/weft" train \
#         Configs/cnn-bn.json --set data.trainLimit=3000 --set data.testLimit=500 \
#         --set training.epochs=2 --set checkpoint.directory=/tmp/nn --threads 1 --no-report
#     Tests/Distributed/two_machines.sh down
#
# `run` exits with mpirun's status. CMD runs on both ranks from the current directory; give
# it as an absolute path (B gets only PATH, HOME and what `-x` forwards). MPIRUN-OPTIONS go
# to mpirun before CMD, e.g. `-x WEFT_SOMETHING` or `--timeout 60`. SIGINT/SIGTERM to `run`
# are passed to mpirun.
#
# Environment:
#     WEFT_NETNS_PREFIX  names: PREFIX-a, PREFIX-b (namespaces), PREFIX-va, PREFIX-vb (veth);
#                        default "weft" (at most 12 characters: interface names are <= 15)
#     WEFT_NETNS_NET     the first three octets of the /24, default 10.231.0 (.1 is A, .2 is B)
#     WEFT_NETNS_VERBOSE=1  the agent logs each call (its arguments) on stderr
#
# Essential mpirun options that `run` passes (without them Open MPI finds other ways):
#     --mca pml ob1 --mca btl tcp,self   TCP only (UCX or shared memory would bypass the veth)
#     --mca btl_tcp_if_include NET.0/24 --mca oob_tcp_if_include NET.0/24
#     --mca plm_rsh_agent AGENT          reach B through its namespace instead of ssh
#     --bind-to none                     each orted thinks it owns all cores: both ranks would
#                                        be bound to the same core 0
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
    # The path is proven by a TCP connection from A to a listener in B (bash's /dev/tcp).
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
exec ip netns exec "\$ns" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    HOME="\${HOME:-/root}" USER="\${USER:-root}" LOGNAME="\${LOGNAME:-root}" SHELL=/bin/sh \\
    sh -c "\$*"
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
    ip netns exec "$ns_a" "${mpirun_args[@]}" &
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
