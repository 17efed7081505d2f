# Plugin requirements for Packer >= 1.7 (`packer init` on this directory). Kept apart from the build file
# because Packer 1.6.6 (Debian 12, used by the template test) predates plugins and rejects
# this block; the build file alone stays valid for both.
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3"
    }
  }
}
