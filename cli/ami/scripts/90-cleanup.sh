#!/usr/bin/env bash
# Leaves nothing instance-specific or secret in the image: every instance gets fresh SSH host
# keys, machine id, cloud-init run and ECS agent identity on first boot, and no login key at all.
set -euo pipefail

# The ECS agent started on the build instance; its checkpoint would make every node launched
# from the image claim the build instance's identity (AWS's guidance for custom ECS AMIs).
systemctl stop ecs || true
rm -rf /var/lib/ecs/data/*

rm -f /etc/ssh/ssh_host_*
rm -f /root/.ssh/authorized_keys
for home in /home/*; do
  rm -f "${home}/.ssh/authorized_keys" "${home}/.bash_history"
done
rm -f /root/.bash_history

cloud-init clean --logs --seed
# An empty machine-id makes systemd generate a new one on first boot.
truncate -s 0 /etc/machine-id

dnf clean all
rm -rf /var/cache/dnf/*

find /var/log -type f -name '*.gz' -delete
find /var/log -type f -exec truncate -s 0 {} +
journalctl --rotate
journalctl --vacuum-time=1s
rm -rf /tmp/* /var/tmp/*

unset HISTFILE
