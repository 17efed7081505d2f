#!/usr/bin/env bash
# Session Manager replaces SSH on Berth nodes: no key pair, no port 22. The ECS-optimized image
# usually ships the agent already; make sure it is there and starts on boot.
set -euo pipefail

if ! rpm -q amazon-ssm-agent >/dev/null 2>&1; then
  dnf -y install amazon-ssm-agent
fi
systemctl enable amazon-ssm-agent
echo "berth: $(rpm -q amazon-ssm-agent)"
