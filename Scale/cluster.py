"""Several `App serve` instances behind nginx, on PostgreSQL and Redis — all started here, on
127.0.0.1 and free ports, and stopped by their PIDs (Scale/check.py and Scale/bench.py use it).

    with Cluster(instances=2) as cluster:
        cluster.nginx_url        # round-robin over the instances
        cluster.apps[0].port     # one instance directly

PostgreSQL is a throw-away cluster (`initdb` in a temporary folder, run as the `postgres`
user under root, as PostgreSQL requires); Redis keeps nothing on disk; nginx runs in the
foreground with its own prefix folder.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Reliability"))
from common import Server, wait_until  # noqa: E402

AS_ROOT = os.geteuid() == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def write_nginx_config(folder, http_body):
    """`folder`/nginx.conf: one worker, its pid, error log and temporary files in `folder`, and
    `http_body` inside `http { }`."""
    with open(f"{folder}/nginx.conf", "w") as file:
        file.write(f"""{"user root;" if AS_ROOT else ""}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{http_body}
}}
""")


class Postgres:
    """A throw-away PostgreSQL cluster on loopback, trusting local connections."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="vial-pg-")
        if AS_ROOT:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(["initdb", "-D", f"{self.folder}/data", "-U", "vial", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-locale"])
        command = [f"{self.bin}/postgres", "-D", f"{self.folder}/data", "-p", str(self.port), "-h", "127.0.0.1",
                   "-k", self.folder, "-F", "-c", "max_connections=400", "-c", "shared_buffers=128MB"]
        self.command = command
        self.process = subprocess.Popen((["runuser", "-u", "postgres", "--"] if AS_ROOT else []) + command,
                                        stdout=subprocess.DEVNULL, stderr=open(f"{self.folder}/postgres.log", "wb"))
        wait_until(lambda: self.psql("postgres", "SELECT 1", check=False).returncode == 0, 30)

    def _run(self, command):
        command = [f"{self.bin}/{command[0]}"] + command[1:]
        subprocess.run((["runuser", "-u", "postgres", "--"] if AS_ROOT else []) + command, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def psql(self, database, sql, check=True):
        return subprocess.run([f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "vial", "-d", database,
                               "-v", "ON_ERROR_STOP=1", "-qtA", "-c", sql], capture_output=True, text=True, check=check)

    def create_database(self, name):
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"postgresql://vial@127.0.0.1:{self.port}/{name}"

    def query(self, database, sql):
        return self.psql(database, sql).stdout.strip()

    def halt(self):
        """Stops the server, keeping its data: connections are refused until `resume`."""
        self._shutdown()
        self.process.wait(10)

    def resume(self):
        """Starts the halted server again on the same port and data."""
        self.process = subprocess.Popen((["runuser", "-u", "postgres", "--"] if AS_ROOT else []) + self.command,
                                        stdout=subprocess.DEVNULL, stderr=open(f"{self.folder}/postgres.log", "ab"))
        wait_until(lambda: self.psql("postgres", "SELECT 1", check=False).returncode == 0, 30)

    def _pids(self):
        """The postmaster and its children (the backends holding the app's connections)."""
        with open(f"{self.folder}/data/postmaster.pid") as file:
            main = int(file.readline())
        children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout.split()
        return [main] + [int(pid) for pid in children]

    def freeze(self):
        """SIGSTOP: connections are accepted by the kernel and never answered, queries hang —
        a server that stopped answering without closing anything."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        # runuser, like su, stops itself when its child stops: continue it too, or it never
        # reaps the server at shutdown.
        for pid in self._pids() + [self.process.pid]:
            os.kill(pid, signal.SIGCONT)

    def _shutdown(self):
        try:
            with open(f"{self.folder}/data/postmaster.pid") as file:
                pid = int(file.readline())
            os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
            wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 30)
        except (OSError, ValueError):
            pass

    def stop(self):
        self._shutdown()
        self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """redis-server on loopback, keeping nothing on disk (as the compose file runs it)."""

    def __init__(self):
        self.port = free_port()
        self._start()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: accepts(self.port), 10)

    def restart(self):
        """Kills the server (as a crash would) and starts it again on the same port, empty."""
        self.process.kill()
        self.process.wait(10)
        self._start()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


class Nginx:
    """nginx in the foreground, round-robin over `ports`, with the proxy headers of deploy/nginx."""

    def __init__(self, ports):
        self.port = free_port()
        self.prefix = tempfile.mkdtemp(prefix="vial-nginx-")
        upstreams = "\n".join(f"        server 127.0.0.1:{port};" for port in ports)
        config = f"""
{"user root;" if AS_ROOT else ""}
worker_processes auto;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {self.prefix}/body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    upstream vial {{
{upstreams}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        # As deploy/nginx/vial.conf: uploads of attachments stream through to the app.
        location ~ ^/api/tasks/[0-9]+/attachments$ {{
            client_max_body_size 501m;
            proxy_request_buffering off;
            proxy_pass http://vial;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
        # As deploy/nginx/vial.conf: the WebSocket handshake passes its Upgrade on.
        location = /api/tasks/live {{
            proxy_pass http://vial;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
        location / {{
            proxy_pass http://vial;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
        with open(f"{self.prefix}/nginx.conf", "w") as file:
            file.write(config)
        self.process = subprocess.Popen(["nginx", "-p", self.prefix, "-c", f"{self.prefix}/nginx.conf", "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=open(f"{self.prefix}/stderr.log", "wb"))
        wait_until(lambda: accepts(self.port), 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)
        shutil.rmtree(self.prefix, ignore_errors=True)


class Cluster:
    """PostgreSQL, Redis, `instances` × `App serve` (migrated beforehand) and nginx in front."""

    def __init__(self, instances=2, env=None, database="vial", workdir=None):
        self.count = instances
        self.extra = dict(env or {})
        self.database = database
        self.workdir = workdir or tempfile.mkdtemp(prefix="vial-cluster-")
        self.postgres = self.redis = self.nginx = None
        self.apps = []

    def __enter__(self):
        try:
            self.postgres = Postgres()
            self.redis = Redis()
            self.env = {
                "APP_ENV": "production",
                "DATABASE_URL": self.postgres.create_database(self.database),
                "JWT_SECRET_KEY": "cluster-check-secret-0123456789abcdef-0123",
                "RATELIMIT_STORAGE_URI": self.redis.url,
                "CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": self.redis.url,
                "JWT_BLOCKLIST_STORAGE_URI": self.redis.url,
                "TRUSTED_PROXIES": "127.0.0.1",
                "LOG_LEVEL": "warning",
                # Every instance keeps attachments in one folder (a shared volume in production).
                "ATTACHMENTS_DIR": os.path.join(self.workdir, "attachments"),
            }
            self.env.update(self.extra)
            self.upgrade()
            for index in range(self.count):
                self.apps.append(Server(env=self.env, workdir=os.path.join(self.workdir, f"app{index}")))
                os.makedirs(self.apps[-1].workdir, exist_ok=True)
            for app in self.apps:
                app.start()
            self.nginx = Nginx([app.port for app in self.apps])
            self.nginx_url = self.nginx.url
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def upgrade(self, env=None):
        """`App db upgrade` once; returns the completed process."""
        from common import app_binary
        return subprocess.run([app_binary(), "db", "upgrade"], env={**os.environ, **self.env, **(env or {})},
                              capture_output=True, text=True)

    def __exit__(self, *exc):
        if self.nginx:
            self.nginx.stop()
        for app in self.apps:
            app.stop()
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
