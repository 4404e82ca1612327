#!/bin/sh
# Stand-ins for the two base images the project uses, python:3.11-slim and postgres:15, built
# from a Debian mirror for machines that cannot reach an image registry (an air-gapped network,
# or one whose registry is blocked). An image that is already present, or that `docker pull`
# can fetch, is left as it is; use --force to rebuild both.
#
#   sudo docker/base-images.sh [--force]
#
# Needs root, debootstrap and a Docker engine. The mirror is DEBIAN_MIRROR, or the first one in
# this machine's apt sources, or deb.debian.org. The stand-ins are Debian bookworm (minbase) with
# Debian's python3.11 in a virtual environment first on PATH, and with Debian's postgresql-15
# behind an entrypoint that honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA and
# PGPORT as the official image does. They trust Debian's CA certificates and nothing else, like
# the images they stand in for: a build behind a TLS-inspecting proxy trusts the proxy's CA the
# same way with either (docker/ca-certificates/README.md).
set -eu

SUITE=bookworm
HERE=$(cd "$(dirname "$0")" && pwd)
FORCE=${1:-}

say() { printf 'base-images: %s\n' "$*" >&2; }

mirror() {
	if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
	found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*debian\/\{0,1\}\) .*/\2/p' \
			-e 's/^URIs: *\(https\{0,1\}:[^ ]*debian\/\{0,1\}\)$/\1/p' | head -n 1)
	echo "${found:-http://deb.debian.org/debian}"
}

# True if the image is here already or can be pulled (skipped with --force).
present() {
	[ "$FORCE" = "--force" ] && return 1
	docker image inspect "$1" >/dev/null 2>&1 && { say "$1 is present"; return 0; }
	if timeout 120 docker pull -q "$1" >/dev/null 2>&1; then say "$1 pulled"; return 0; fi
	say "$1 cannot be pulled: building a stand-in from $(mirror)"
	return 1
}

WORK=
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

# A minimal Debian root file system with the given extra packages, in $WORK/rootfs.
rootfs() {
	WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/base-image.XXXXXX")
	say "debootstrap $SUITE with $1"
	debootstrap --variant=minbase --include="$1" "$SUITE" "$WORK/rootfs" "$(mirror)" >"$WORK/log" 2>&1 ||
		{ tail -n 20 "$WORK/log" >&2; exit 1; }
}

# Import $WORK/rootfs as an image, without package caches and lists.
import() {
	name=$1; shift
	root=$WORK/rootfs
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/tmp/*
	tar --numeric-owner -C "$root" -c . | docker import "$@" - "$name" >/dev/null
	say "$name built ($(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%.0f MB", $1/1e6}'))"
	rm -rf "$WORK"; WORK=
}

python_image() {
	present python:3.11-slim && return
	rootfs python3.11,python3.11-venv,python3-distutils,ca-certificates,tzdata,netbase
	chroot "$WORK/rootfs" python3.11 -m venv /usr/local/python >/dev/null
	import python:3.11-slim \
		--change 'ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'ENV LANG=C.UTF-8' \
		--change 'CMD ["python3"]'
}

postgres_image() {
	present postgres:15 && return
	rootfs ca-certificates,tzdata,postgresql-common
	root=$WORK/rootfs
	# No default cluster and no service start inside the chroot: the entrypoint makes its own.
	mkdir -p "$root/etc/postgresql-common"
	echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15' \
		>"$WORK/log" 2>&1 || { tail -n 20 "$WORK/log" >&2; exit 1; }
	rm -f "$root/usr/sbin/policy-rc.d"
	install -m 755 "$HERE/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
	mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
	chroot "$root" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
	import postgres:15 \
		--change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'ENV PGDATA=/var/lib/postgresql/data' \
		--change 'ENV LANG=C.UTF-8' \
		--change 'VOLUME /var/lib/postgresql/data' \
		--change 'EXPOSE 5432' \
		--change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
		--change 'CMD ["postgres"]'
	# As the official image: SIGINT is PostgreSQL's fast shutdown (docker import cannot set it).
	printf 'FROM postgres:15\nSTOPSIGNAL SIGINT\n' | DOCKER_BUILDKIT=0 docker build -q -t postgres:15 - >/dev/null
}

[ "$(id -u)" -eq 0 ] || { say "run as root (debootstrap and chroot need it)"; exit 1; }
command -v debootstrap >/dev/null || { say "debootstrap is missing: apt-get install debootstrap"; exit 1; }
python_image
postgres_image
