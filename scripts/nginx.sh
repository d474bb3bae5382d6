# nginx.sh: a private nginx for run.sh, the integration tests and the
# benchmark (sourced). Everything it writes lives under one folder, it
# listens on 127.0.0.1 only, and it includes nginx/hookq.conf as shipped.

HOOKQ_NGINX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../nginx" && pwd)

# hookq_upstream_settings: the settings of nginx/hookq-upstream.conf's
# upstream block but its server line (keepalive), on one line.
hookq_upstream_settings() {
	sed -n '/^upstream hookq {/,/^}/p' "$HOOKQ_NGINX_DIR/hookq-upstream.conf" |
		sed -e 's/#.*//' -e '/^upstream /d' -e '/^}/d' -e '/^[[:space:]]*server[[:space:]]/d' |
		tr -s ' \t\n' ' '
}

# hookq_nginx_conf DIR PORT SOCKET HOOKQ_CONF [SERVER_EXTRA [UPSTREAM_EXTRA [HTTP_EXTRA]]]:
# writes DIR/nginx.conf (logs and temp files under DIR) serving HOOKQ_CONF's
# location on 127.0.0.1:PORT, with the upstream "hookq" at unix:SOCKET and
# the settings of the shipped nginx/hookq-upstream.conf (UPSTREAM_EXTRA added
# to them). SERVER_EXTRA goes inside that server block; HTTP_EXTRA at http
# level, before the upstream and the server (log formats, more upstreams and
# servers).
hookq_nginx_conf() {
	local dir=$1 port=$2 sock=$3 snippet=$4 extra=${5:-} upstream=${6:-} http_extra=${7:-}
	upstream="$(hookq_upstream_settings) $upstream"
	mkdir -p "$dir/logs" "$dir/tmp"
	# hookq.conf includes fastcgi_params relative to the main config's folder.
	cp /etc/nginx/fastcgi_params "$dir/fastcgi_params"
	cat > "$dir/nginx.conf" <<NGINX
# written by hookq's scripts/nginx.sh
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
user $(id -un) $(id -gn);
events { worker_connections 1024; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    $http_extra
    upstream hookq { server unix:$sock; $upstream }
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        $extra
        include $snippet;
    }
}
NGINX
}

# hookq_nginx_start DIR: runs nginx in the foreground (background job) on
# DIR/nginx.conf; its pid is in $!.
hookq_nginx_start() {
	"${NGINX:-nginx}" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log" -g 'daemon off;' \
		2>>"$1/logs/start.log" &
}
