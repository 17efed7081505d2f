# The Berth ECS container-instance AMI: AWS's ECS-optimized Amazon Linux 2023, plus security
# updates, the CloudWatch and SSM agents and ECS agent defaults. One source per architecture.
#
# It ships inside @berth/cli (node_modules/@berth/cli/ami/ in a user's repository; cli/ami/ in Berth's);
# `berth ami build` runs it from there with the app's names from berth.config.ts:
#
#   packer init <this directory>
#   packer build -only='berth.amazon-ebs.arm64' -var app=shop -var manifest_path=.berth/ami/manifest.json <this directory>
#
# The `packer { required_plugins … }` block lives in packer.pkr.hcl so this file also validates
# with Packer 1.6.6 (Debian 12), which predates plugins. Lines between the
# "BEGIN requires packer >= 1.7" markers are options that 1.6.6's built-in amazon-ebs does not
# know; the template test strips only those before running `packer validate` (see docs/ami.md).

variable "app" {
  type        = string
  description = "The app in berth.config.ts (lower-case): names the AMI, its Project tag and the node log groups /<app>/ecs-node/*."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor records the AMI ids (`berth ami build`: <project root>/.berth/ami/manifest.json)."
}

variable "region" {
  type        = string
  description = "Region the AMI is built in (global.primaryRegion in berth.config.ts)."
  default     = "eu-west-1"
}

variable "copy_to_regions" {
  type        = list(string)
  description = "Further regions to copy the finished AMI to (each environment region that is not var.region)."
  default     = []
}

variable "version" {
  type        = string
  description = "Human-readable AMI version, e.g. 2026.11.21-1; ends up in the name and the Version tag."
  default     = "dev"
}

variable "git_sha" {
  type        = string
  description = "Commit the AMI was built from; recorded in the GitSha tag for traceability."
  default     = "unknown"
}

variable "x86_64_instance_type" {
  type    = string
  default = "t3.small"
}

variable "arm64_instance_type" {
  type    = string
  default = "t4g.small"
}

variable "root_volume_gib" {
  type        = number
  description = "Root volume size; instances may use a bigger one (infra cluster.rootVolumeGiB), never a smaller one."
  default     = 30
}

variable "kms_key_id" {
  type        = string
  description = "KMS key for the encrypted root snapshot; empty uses the account's aws/ebs key."
  default     = ""
}

variable "subnet_id" {
  type        = string
  description = "Subnet for the temporary build instance; empty uses the default VPC."
  default     = ""
}

variable "releasever" {
  type        = string
  description = "Amazon Linux 2023 release to take security updates from: empty stays on the base AMI's release, 'latest' moves to the newest."
  default     = ""
}

locals {
  name_prefix = "${var.app}-ecs-node"
  common_tags = {
    Project = var.app
    Version = var.version
    GitSha  = var.git_sha
    BaseAmi = "{{ .SourceAMI }}"
    # Base image's name, so a rollback can tell which ECS agent/kernel release it goes back to.
    BaseAmiName = "{{ .SourceAMIName }}"
  }
}

source "amazon-ebs" "x86_64" {
  region          = var.region
  ami_regions     = var.copy_to_regions
  instance_type   = var.x86_64_instance_type
  subnet_id       = var.subnet_id
  ssh_username    = "ec2-user"
  ami_name        = "${local.name_prefix}-x86_64-${var.version}-{{timestamp}}"
  ami_description = "Berth ECS node (AL2023 ECS-optimized, x86_64) ${var.version} ${var.git_sha}"

  source_ami_filter {
    filters = {
      name                = "al2023-ami-ecs-hvm-*-kernel-*-x86_64"
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.root_volume_gib
    volume_type           = "gp3"
    iops                  = 3000 # gp3 baseline, included in the price
    throughput            = 125
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }
  encrypt_boot = true
  kms_key_id   = var.kms_key_id

  # BEGIN requires packer >= 1.7
  # The build instance answers only IMDSv2; the AMI itself is flagged so instances launched from
  # it default to IMDSv2 too (the launch template also requires it).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"
  # Only the machine running Packer may reach the temporary SSH port.
  temporary_security_group_source_public_ip = true
  # END requires packer >= 1.7

  run_tags      = merge(local.common_tags, { Name = "${local.name_prefix}-build-x86_64", Architecture = "x86_64" })
  tags          = merge(local.common_tags, { Name = "${local.name_prefix}-x86_64-${var.version}", Architecture = "x86_64" })
  snapshot_tags = merge(local.common_tags, { Name = "${local.name_prefix}-x86_64-${var.version}", Architecture = "x86_64" })
}

source "amazon-ebs" "arm64" {
  region          = var.region
  ami_regions     = var.copy_to_regions
  instance_type   = var.arm64_instance_type
  subnet_id       = var.subnet_id
  ssh_username    = "ec2-user"
  ami_name        = "${local.name_prefix}-arm64-${var.version}-{{timestamp}}"
  ami_description = "Berth ECS node (AL2023 ECS-optimized, arm64) ${var.version} ${var.git_sha}"

  source_ami_filter {
    filters = {
      name                = "al2023-ami-ecs-hvm-*-kernel-*-arm64"
      architecture        = "arm64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.root_volume_gib
    volume_type           = "gp3"
    iops                  = 3000 # gp3 baseline, included in the price
    throughput            = 125
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }
  encrypt_boot = true
  kms_key_id   = var.kms_key_id

  # BEGIN requires packer >= 1.7
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support                              = "v2.0"
  temporary_security_group_source_public_ip = true
  # END requires packer >= 1.7

  run_tags      = merge(local.common_tags, { Name = "${local.name_prefix}-build-arm64", Architecture = "arm64" })
  tags          = merge(local.common_tags, { Name = "${local.name_prefix}-arm64-${var.version}", Architecture = "arm64" })
  snapshot_tags = merge(local.common_tags, { Name = "${local.name_prefix}-arm64-${var.version}", Architecture = "arm64" })
}

build {
  name    = "berth"
  sources = ["source.amazon-ebs.x86_64", "source.amazon-ebs.arm64"]

  provisioner "shell" {
    # -E keeps environment_vars; bash (not sh) because the scripts use pipefail.
    execute_command  = "chmod +x {{ .Path }}; sudo -E bash '{{ .Path }}'"
    environment_vars = [
      "BERTH_RELEASEVER=${var.releasever}",
      "BERTH_LOG_GROUP_PREFIX=/${var.app}/ecs-node",
    ]
    scripts = [
      "${path.root}/scripts/10-security-updates.sh",
      "${path.root}/scripts/20-cloudwatch-agent.sh",
      "${path.root}/scripts/30-ssm-agent.sh",
      "${path.root}/scripts/40-ecs-agent-defaults.sh",
      "${path.root}/scripts/90-cleanup.sh",
    ]
  }

  # `berth ami build` reads the AMI ids from here (a file in the user's project, never in the package);
  # custom_data names the architecture so the CLI never has to parse source names.
  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      architecture = source.name
      version      = var.version
      git_sha      = var.git_sha
    }
  }
}
