#!/usr/bin/env bash
# Token requests over TLS (issue 20), in one run on loopback: client_secret_basic over Keyward's
# own https, self_signed_tls_client_auth on Keyward's mTLS listener, and both through nginx
# terminating TLS (Debian's nginx-light, ssl_verify_client optional_no_ca, forwarding the
# certificate to Keyward's plain listener over keep-alive upstream connections). Each with
# keep-alive connections and with a full TLS 1.3 handshake per request (no resumption). Load:
# server/examples/bench_mtls.rs (tokio-rustls), CONN connections, DURATION s after a 3 s
# warm-up, on the same two cores as the servers. Prints one JSON line per measurement, with the
# CPU time Keyward (and nginx) used per request.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DURATION:-10}; CONN=${CONN:-32}
W=$(mktemp -d)
trap 'kill $SPID $NPID 2>/dev/null || true; rm -rf "$W"' EXIT
SPID=; NPID=
cd "$W"
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"; }
openssl req -x509 $(ec) -days 2 -subj "/CN=bench CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req $(ec) -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out server.pem 2>/dev/null
openssl req -x509 $(ec) -days 1 -subj "/CN=cc-self" -keyout client.key -out client.pem 2>/dev/null

cd "$ROOT"
cargo build --release -p keyward-server --example bench_mtls 2>/dev/null
BIN="$ROOT/target/release/examples/bench_mtls"
"$BIN" serve "$W" 3300 3301 3302 2>/dev/null & SPID=$!
for _ in $(seq 100); do [ -f "$W/ready" ] && break; sleep 0.2; done

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$W/nginx"
cat > "$W/nginx/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $W/nginx/nginx.pid; error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path $W/nginx/body; proxy_temp_path $W/nginx/proxy;
  fastcgi_temp_path $W/nginx/fastcgi; uwsgi_temp_path $W/nginx/uwsgi; scgi_temp_path $W/nginx/scgi;
  upstream keyward { server 127.0.0.1:3301; keepalive 64; }
  server {
    listen 127.0.0.1:3303 ssl; ssl_certificate $W/server.pem; ssl_certificate_key $W/server.key;
    ssl_protocols TLSv1.3; ssl_session_tickets off; ssl_verify_client optional_no_ca;
    location / {
      proxy_pass http://keyward; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header ssl-client-cert \$ssl_client_escaped_cert;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" & NPID=$!
sleep 0.5
NWORKER=$(pgrep -P $NPID | head -1 || echo $NPID)

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
run() { # label port auth mode
  "$BIN" load "$2" "$4" "$3" 3 "$CONN" "$W" >/dev/null
  local k0 n0; k0=$(cpu $SPID); n0=$(cpu $NWORKER)
  local out; out=$("$BIN" load "$2" "$4" "$3" "$D" "$CONN" "$W")
  local k1 n1; k1=$(cpu $SPID); n1=$(cpu $NWORKER)
  node -e "const r=$out; const n=r.rps*$D||1;
    r.path='$1'; r.keyward_cpu_ms_per_req=+((($k1-$k0)/$TCK*1000)/n).toFixed(3);
    if ('$1'.startsWith('nginx')) r.nginx_cpu_ms_per_req=+((($n1-$n0)/$TCK*1000)/n).toFixed(3);
    console.log(JSON.stringify(r))"
}
for MODE in keepalive new; do
  run keyward-https 3300 basic $MODE
  run keyward-mtls 3302 cert $MODE
  run nginx-https 3303 basic $MODE
  run nginx-mtls 3303 cert $MODE
done
