#!/usr/bin/env bash
# Installs the CloudWatch agent with the node's metrics (memory, disk) and logs (ECS agent,
# ECS init, system messages) so a sick container instance is visible without SSH.
# The agent is enabled, not started: it must not ship the build instance's data.
set -euo pipefail

# /<app>/ecs-node, from the Packer template: each app's nodes log to their own groups.
log_group_prefix="${BERTH_LOG_GROUP_PREFIX:?the Packer template sets BERTH_LOG_GROUP_PREFIX}"

dnf -y install amazon-cloudwatch-agent rsyslog
# AL2023 logs to journald only; rsyslog gives the agent a /var/log/messages file to tail.
systemctl enable rsyslog

config_dir=/opt/aws/amazon-cloudwatch-agent/etc
install -d -m 0755 "${config_dir}"
# The agent translates this JSON to its TOML on every start, so region and instance id are
# resolved on the instance, not here.
cat >"${config_dir}/amazon-cloudwatch-agent.json" <<'JSON'
{
  "agent": {
    "metrics_collection_interval": 60,
    "run_as_user": "root"
  },
  "metrics": {
    "namespace": "Berth/EcsNode",
    "append_dimensions": {
      "AutoScalingGroupName": "${aws:AutoScalingGroupName}",
      "InstanceId": "${aws:InstanceId}"
    },
    "aggregation_dimensions": [["AutoScalingGroupName"]],
    "metrics_collected": {
      "mem": { "measurement": ["mem_used_percent"] },
      "disk": {
        "measurement": ["disk_used_percent"],
        "resources": ["/"],
        "ignore_file_system_types": ["overlay", "tmpfs", "devtmpfs"]
      }
    }
  },
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          {
            "file_path": "/var/log/ecs/ecs-agent.log",
            "log_group_name": "@LOG_GROUP_PREFIX@/ecs-agent",
            "log_stream_name": "{instance_id}",
            "timezone": "UTC"
          },
          {
            "file_path": "/var/log/ecs/ecs-init.log",
            "log_group_name": "@LOG_GROUP_PREFIX@/ecs-init",
            "log_stream_name": "{instance_id}",
            "timezone": "UTC"
          },
          {
            "file_path": "/var/log/messages",
            "log_group_name": "@LOG_GROUP_PREFIX@/messages",
            "log_stream_name": "{instance_id}",
            "timezone": "UTC"
          }
        ]
      }
    }
  }
}
JSON
# The heredoc is quoted (the agent's own ${aws:…} placeholders must stay), so the prefix goes in here.
sed -i "s|@LOG_GROUP_PREFIX@|${log_group_prefix}|g" "${config_dir}/amazon-cloudwatch-agent.json"
chmod 0644 "${config_dir}/amazon-cloudwatch-agent.json"

systemctl enable amazon-cloudwatch-agent
