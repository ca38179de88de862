# shellcheck shell=bash
# Sourced by the scripts that run Terraform (check-infra.sh, test-terraform.sh): finds terraform
# and an offline copy of the hashicorp/aws provider, and points Terraform at that copy.
#
#   source scripts/terraform-env.sh && terraform_env || exit 1
#
# terraform: $TERRAFORM, else `terraform` on PATH.
# The provider: $TERRAFORM_PROVIDER_MIRROR, else the first of the usual filesystem-mirror
# folders that holds registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/ (see
# TERRAFORM_MIRROR_CANDIDATES below). A mirror is a folder laid out as `terraform providers
# mirror` writes it, packed (.zip) or unpacked.
# terraform_env writes a CLI configuration (filesystem_mirror for hashicorp/aws, a plugin cache
# so that every module links the one copy) under $TERRAFORM_WORK (default .terraform-work/) and
# exports TF_CLI_CONFIG_FILE. Without terraform or a mirror it says so in one line and fails.

TERRAFORM_WORK="${TERRAFORM_WORK:-$PWD/.terraform-work}"
TERRAFORM_MIRROR_CANDIDATES=(
  "${XDG_DATA_HOME:-$HOME/.local/share}/terraform/plugins"
  "$HOME/.terraform.d/plugins"
  /usr/local/share/terraform/plugins
  /usr/share/terraform/plugins
  /opt/terraform/plugins
  /opt/tf-plugins
)

# The provider folder for this machine's platform inside a mirror, if there is one.
_terraform_aws_in() {
  local mirror="$1" platform
  platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$(uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')"
  compgen -G "$mirror/registry.terraform.io/hashicorp/aws/*/$platform" >/dev/null \
    || compgen -G "$mirror/registry.terraform.io/hashicorp/aws/terraform-provider-aws_*_$platform.zip" >/dev/null
}

terraform_env() {
  TERRAFORM="${TERRAFORM:-$(command -v terraform || true)}"
  if [[ -z "$TERRAFORM" || ! -x "$TERRAFORM" ]]; then
    echo "terraform: not found (install Terraform >= 1.10 or set TERRAFORM=/path/to/terraform)" >&2
    return 1
  fi
  local mirror=""
  if [[ -n "${TERRAFORM_PROVIDER_MIRROR:-}" ]]; then
    if ! _terraform_aws_in "$TERRAFORM_PROVIDER_MIRROR"; then
      echo "terraform: TERRAFORM_PROVIDER_MIRROR=$TERRAFORM_PROVIDER_MIRROR holds no registry.terraform.io/hashicorp/aws for this platform" >&2
      return 1
    fi
    mirror="$TERRAFORM_PROVIDER_MIRROR"
  else
    local candidate
    for candidate in "${TERRAFORM_MIRROR_CANDIDATES[@]}"; do
      if [[ -d "$candidate" ]] && _terraform_aws_in "$candidate"; then
        mirror="$candidate"
        break
      fi
    done
  fi
  if [[ -z "$mirror" ]]; then
    echo "terraform: no offline hashicorp/aws provider found (set TERRAFORM_PROVIDER_MIRROR to a folder holding registry.terraform.io/hashicorp/aws; searched ${TERRAFORM_MIRROR_CANDIDATES[*]})" >&2
    return 1
  fi
  mkdir -p "$TERRAFORM_WORK/plugin-cache"
  cat >"$TERRAFORM_WORK/cli.tfrc" <<EOF
# Written by scripts/terraform-env.sh: the aws provider from the offline mirror only.
plugin_cache_dir = "$TERRAFORM_WORK/plugin-cache"
# The modules keep no lock file; without this, every init of one installs the provider into
# the cache again, and two at once race on its folder ("mkdir ... file exists").
plugin_cache_may_break_dependency_lock_file = true
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
EOF
  export TF_CLI_CONFIG_FILE="$TERRAFORM_WORK/cli.tfrc"
  export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
  export TERRAFORM TERRAFORM_PROVIDER_MIRROR="$mirror"
  TERRAFORM_PROVIDER_VERSION="$(basename "$(dirname "$(compgen -G "$mirror/registry.terraform.io/hashicorp/aws/*/*" | head -1)")")"
  export TERRAFORM_PROVIDER_VERSION
}

# terraform_init DIR: `terraform init -backend=false` of one root or module folder, its working
# data under $TERRAFORM_WORK/data/ (the folder itself only gets its .terraform.lock.hcl, which
# git ignores: the lock of a deployment is made where it is applied, against the registry).
terraform_init() {
  local dir="$1" data
  data="$TERRAFORM_WORK/data/$(echo "$dir" | tr '/' '_')"
  mkdir -p "$TERRAFORM_WORK/data"
  TF_DATA_DIR="$data" "$TERRAFORM" -chdir="$dir" init -backend=false -input=false -no-color \
    >"$data.init.log" 2>&1 || { cat "$data.init.log" >&2; return 1; }
}

# terraform_in DIR ARGS...: terraform in DIR with the working data terraform_init made.
terraform_in() {
  local dir="$1" data
  shift
  data="$TERRAFORM_WORK/data/$(echo "$dir" | tr '/' '_')"
  TF_DATA_DIR="$data" "$TERRAFORM" -chdir="$dir" "$@"
}
