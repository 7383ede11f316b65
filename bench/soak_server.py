#!/usr/bin/env python3
"""A mixed load against a running MambaServe, to see that it stays up and frees what it takes.

Usage: python3 bench/soak_server.py [--url http://127.0.0.1:8000] [--seconds 150] [--clients 24]
Each client loops over six kinds of request, picked at random: a streamed chat that must end with [DONE];
/v1/completions with n = 1-8, top_p and a seed (n choices back); a stream the client drops after a few lines; a bad
request (negative max_tokens or temperature, a non-string prompt, messages not a list, n = 0, top_p = 3) that must
answer 400; stop strings at temperature 0; echo with logprobs. It prints the counts and the first unexpected answers,
then the server's /health and its slot and scheduler gauges from /metrics (all should be back to 0 when the load
ends). Only the Python standard library. Exits 1 on any unexpected answer.
"""
import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

BAD_REQUESTS = [
    ("/v1/completions", {"prompt": "x", "max_tokens": -1}),
    ("/v1/completions", {"prompt": "x", "temperature": -2}),
    ("/v1/completions", {"prompt": 5}),
    ("/v1/chat/completions", {"messages": "no"}),
    ("/v1/completions", {"prompt": "x", "n": 0}),
    ("/v1/completions", {"prompt": "x", "top_p": 3}),
]


class Soak:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.counts = {"answered": 0, "bad_request_400": 0, "dropped_streams": 0}
        self.unexpected = []
        self.lock = threading.Lock()

    def post(self, path, body, drop_after=None):
        """The status and body; with drop_after, the connection is shut after that many lines and the body is None."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        if drop_after is not None:
            for n, _ in enumerate(r, start=1):
                if n >= drop_after:
                    break
            if c.sock is not None:  # None when the stream ended before drop_after lines
                c.sock.shutdown(socket.SHUT_RDWR)
            c.close()
            return r.status, None
        data = r.read()
        c.close()
        return r.status, data

    def one(self, rnd):
        """One request of a random kind; returns the counter it adds to, or raises AssertionError."""
        kind = rnd.randrange(6)
        if kind == 0:
            s, d = self.post("/v1/chat/completions", {"messages": [{"role": "user", "content": "Tell me about the jury."}],
                                                      "max_tokens": rnd.randint(1, 60), "stream": True})
            assert s == 200 and d.strip().endswith(b"data: [DONE]"), (s, d[-120:])
        elif kind == 1:
            n = rnd.randint(1, 8)
            s, d = self.post("/v1/completions", {"prompt": "The city council", "max_tokens": rnd.randint(1, 40), "n": n,
                                                 "top_p": 0.9, "seed": rnd.randint(0, 99)})
            assert s == 200 and len(json.loads(d)["choices"]) == n, (s, d[:200])
        elif kind == 2:
            s, _ = self.post("/v1/completions", {"prompt": "Once upon a time " * rnd.randint(1, 50), "max_tokens": 200,
                                                 "stream": True}, drop_after=rnd.randint(1, 10))
            assert s == 200, s
            return "dropped_streams"
        elif kind == 3:
            path, body = rnd.choice(BAD_REQUESTS)
            s, d = self.post(path, body)
            assert s == 400, (path, body, s, d[:200])
            return "bad_request_400"
        elif kind == 4:
            s, d = self.post("/v1/completions", {"prompt": "The jury said", "max_tokens": 50, "stop": [" the", "."],
                                                 "temperature": 0})
            assert s == 200 and json.loads(d)["choices"][0]["finish_reason"] in ("stop", "length"), (s, d[:200])
        else:
            s, d = self.post("/v1/completions", {"prompt": "In the morning", "max_tokens": 16, "logprobs": 3, "echo": True})
            assert s == 200 and json.loads(d)["choices"][0]["logprobs"]["top_logprobs"], (s, d[:200])
        return "answered"

    def client(self, seed, until):
        rnd = random.Random(seed)
        while time.time() < until:
            try:
                counter = self.one(rnd)
                with self.lock:
                    self.counts[counter] += 1
            except Exception as e:  # an unexpected status, body or connection error
                with self.lock:
                    self.unexpected.append(repr(e)[:300])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--seconds", type=float, default=150)
    ap.add_argument("--clients", type=int, default=24)
    args = ap.parse_args()
    url = urllib.parse.urlparse(args.url)
    soak = Soak(url.hostname, url.port or 80)
    until = time.time() + args.seconds
    threads = [threading.Thread(target=soak.client, args=(i, until)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({**soak.counts, "unexpected": len(soak.unexpected)}))
    for line in soak.unexpected[:5]:
        print("  unexpected:", line)
    time.sleep(2)  # dropped streams are noticed at the server's next write
    print("health:", urllib.request.urlopen(args.url + "/health").read().decode())
    for line in urllib.request.urlopen(args.url + "/metrics").read().decode().splitlines():
        if line.startswith(("mambaserve_state_pool_slots_in_use", "mambaserve_scheduler_running",
                            "mambaserve_scheduler_waiting")):
            print(line)
    sys.exit(1 if soak.unexpected else 0)


if __name__ == "__main__":
    main()
