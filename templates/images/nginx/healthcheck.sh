# Healthy when every port the mounted nginx servers listen on is in the LISTEN state.
# POSIX sh and grep only, so the same script runs in richie-dev's runtime image (dash, GNU grep)
# and on the official nginx image (BusyBox); it reads the kernel's socket table instead of
# connecting, which needs no client (curl, nc) in the image. /proc/net/tcp{,6} belong to the
# container's network namespace; their format (hex local port, state 0A = LISTEN) is in
# https://www.kernel.org/doc/Documentation/networking/proc_net_tcp.txt
ports=$(grep -hE '^[[:space:]]*listen[[:space:]]+[0-9]+' /etc/nginx/conf.d/*.conf 2>/dev/null | grep -oE 'listen[[:space:]]+[0-9]+' | grep -oE '[0-9]+')
[ -n "$ports" ] || exit 1
for port in $ports; do
  hex=$(printf '%04X' "$port")
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null || exit 1
done
exit 0
