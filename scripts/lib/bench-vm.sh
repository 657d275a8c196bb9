# Sourced by scripts/bench-load for `--100k --vm`: the large idle scenario inside a guest of
# this machine (KVM, or emulated by qemu when KVM cannot boot it), for when the host's open-file limit keeps one process under 100,000
# connections (raising a hard limit needs CAP_SYS_RESOURCE; inside the guest the script is
# root of its own kernel). The guest is Debian's kernel booted on an initramfs that holds
# busybox (from Debian's busybox-static, unpacked, not installed) and the three binaries
# with their shared libraries; it runs the project and then the ceiling, each a fresh
# server, prints their result lines on its serial console and powers off. Only qemu is
# installed on the host (qemu-system-x86, when missing); everything else stays in $out/vm.
#
#   vm_idle RESULTS STEPS PROJECT CEILING LOAD
#       appends the guest's result lines to RESULTS; sets vm_machine to a description of
#       the guest and vm_accel to kvm or tcg (emulated).

vm_idle() {
  local results="$1" steps="$2" project="$3" ceiling="$4" load="$5"
  local dir="$PWD/$out/vm"
  ensure_packages qemu-system-x86_64=qemu-system-x86
  mkdir -p "$dir/debs"

  # Debian's kernel and busybox, unpacked into $dir (once).
  local kernel busybox
  kernel="$(ls "$dir"/kernel/boot/vmlinuz-* 2>/dev/null | head -1 || true)"
  if [[ -z "$kernel" || ! -x "$dir/busybox/bin/busybox" ]]; then
    local image
    image="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    if [[ -z "$image" ]]; then
      apt-get update -qq
      image="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    fi
    (cd "$dir/debs" && apt-get download -qq "$image" busybox-static 2>/dev/null)
    rm -rf "$dir/kernel" "$dir/busybox"
    dpkg-deb -x "$(ls "$dir"/debs/linux-image-*.deb | head -1)" "$dir/kernel"
    dpkg-deb -x "$(ls "$dir"/debs/busybox-static_*.deb | head -1)" "$dir/busybox"
    kernel="$(ls "$dir"/kernel/boot/vmlinuz-* | head -1)"
  fi
  busybox="$dir/busybox/bin/busybox"

  # The initramfs: busybox, the binaries, their libraries, and /init.
  local root="$dir/root"
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,bench}
  cp "$busybox" "$root/bin/busybox"
  cp "$project" "$root/bench/conformance-server"
  cp "$ceiling" "$root/bench/signalr-ceiling"
  cp "$load" "$root/bench/signalr-load"
  local bin lib
  for bin in "$project" "$ceiling" "$load"; do
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
      cp -L --parents "$lib" "$root"
    done
  done
  cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
ip link set lo up
echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range
echo 65535 > /proc/sys/net/core/somaxconn
ulimit -n 262144
cd /bench
run() {
  ./\$2 --listen 127.0.0.1:0 > /tmp/server.out 2> /tmp/server.err &
  pid=\$!
  url=""
  for i in \$(seq 200); do
    url="\$(sed -n 's/^listening on //p' /tmp/server.out)"
    [ -n "\$url" ] && break
    sleep 0.05
  done
  ./signalr-load idle --steps $steps --sources 8 --concurrency 256 --url "\$url/hubs/conformance" --pid \$pid --label \$1 | sed 's/^/RESULT /'
  kill -TERM \$pid
  wait \$pid
}
echo "GUEST \$(nproc) vCPUs, \$(awk '/MemTotal/ {printf "%.0f GiB", \$2/1048576}' /proc/meminfo), \$(uname -sr)"
run project conformance-server
run ceiling signalr-ceiling
poweroff -f
EOF
  chmod +x "$root/init"
  (cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$dir/initrd.gz"

  # The guest: every core of the host, 12 GiB (each connection costs the server and the
  # loader in one kernel), its console in a log. With KVM when the guest boots under it
  # (within a minute); else emulated (TCG), where every time is an upper bound of the
  # machine's own.
  local log="$dir/console.log" accel qemu_pid booted
  vm_accel=""
  for accel in kvm tcg; do
    [[ $accel == kvm && ! -w /dev/kvm ]] && continue
    : >"$log"
    local cpu=(-enable-kvm -cpu host)
    [[ $accel == tcg ]] && cpu=(-accel tcg,thread=multi -cpu max)
    echo "== in a guest ($accel): $(nproc) vCPUs, 12 GiB, $(basename "$kernel")"
    timeout 3600 qemu-system-x86_64 "${cpu[@]}" -smp "$(nproc)" -m 12G \
      -kernel "$kernel" -initrd "$dir/initrd.gz" \
      -append "console=ttyS0 quiet loglevel=1 panic=-1" \
      -display none -serial "file:$log" -monitor none -no-reboot -nodefaults &
    qemu_pid=$!
    booted=0
    for _ in $(seq 120); do
      grep -q '^GUEST' "$log" 2>/dev/null && { booted=1; break; }
      kill -0 "$qemu_pid" 2>/dev/null || break
      sleep 0.5
    done
    if [[ $booted == 1 ]]; then
      wait "$qemu_pid" || true
      vm_accel="$accel"
      break
    fi
    echo "bench-load: the guest did not boot with $accel" >&2
    kill -KILL "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  done
  tr -d '\r' <"$log" | sed -n 's/^RESULT //p' | tee -a "$results"
  vm_machine="$(tr -d '\r' <"$log" | sed -n 's/^GUEST //p' | head -1)"
  if ! grep -q '^scenario=idle server=ceiling' "$results"; then
    echo "bench-load: the guest did not finish both runs; its console is in $log" >&2
    return 1
  fi
}
