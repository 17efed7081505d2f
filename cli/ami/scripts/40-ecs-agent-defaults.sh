#!/usr/bin/env bash
# ECS agent defaults baked into the image. ECS_CLUSTER is deliberately absent: the launch
# template's user data appends it at boot, so one AMI serves every cluster and environment.
# ECS_AWSVPC_BLOCK_IMDS does not apply (tasks use bridge mode); containers are kept away from
# instance metadata by the launch template's IMDSv2 hop limit of 1 instead.
set -euo pipefail

install -d -m 0755 /etc/ecs
cat >/etc/ecs/ecs.config <<'CONFIG'
# Written by the Berth AMI build (@berth/cli ami/scripts/40-ecs-agent-defaults.sh). User data adds ECS_CLUSTER.
# Images are pinned by digest, so a cached copy is always the right one and saves a pull per start.
ECS_IMAGE_PULL_BEHAVIOR=prefer-cached
ECS_ENABLE_CONTAINER_METADATA=true
ECS_AVAILABLE_LOGGING_DRIVERS=["json-file","awslogs"]
ECS_ENABLE_TASK_IAM_ROLE=true
CONFIG
chmod 0644 /etc/ecs/ecs.config
