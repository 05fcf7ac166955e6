#!/bin/sh
# Run by sluice-no-escape.service in the kind node before containerd and the kubelet start.
# Keeps cluster-internal destinations inside the node: until kube-proxy has programmed a
# service, a pod's packet to its ClusterIP is not DNATed and would follow the node's default
# route out to the docker host and beyond; the same holds for pod addresses outside this
# node's /24. Filter rules see packets after DNAT, so these reject only what is still addressed
# to those ranges when it is about to leave through eth0. Idempotent.
# The ranges are networking.serviceSubnet / podSubnet of hack/kind/cluster.yaml.
set -eu
for cidr in 10.96.0.0/16 10.244.0.0/16; do
  for chain in FORWARD OUTPUT; do
    iptables -C "$chain" -o eth0 -d "$cidr" -j REJECT 2>/dev/null \
      || iptables -I "$chain" -o eth0 -d "$cidr" -j REJECT
  done
done
