#!/usr/bin/env bash
# Applies pending security updates on top of the ECS-optimized AL2023 base image.
# AL2023 locks each image to one repository release (deterministic upgrades): by default we stay
# on the base image's release, so the ECS agent and Docker versions AWS tested together stay
# paired. BERTH_RELEASEVER=latest moves to the newest release instead.
set -euo pipefail

releasever_args=()
if [[ -n "${BERTH_RELEASEVER:-}" ]]; then
  releasever_args=("--releasever=${BERTH_RELEASEVER}")
fi

echo "berth: release before update: $(rpm -q --qf '%{VERSION}' system-release)"
dnf check-release-update || true

dnf -y "${releasever_args[@]}" upgrade --security --refresh

# Kernel updates take effect on the first boot of an instance launched from this AMI.
echo "berth: running kernel $(uname -r); newest installed $(rpm -q --last kernel | sed -n 1p)"
