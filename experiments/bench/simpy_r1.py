"""Reference scenario R1 in SimPy, the peer a Python user would pick (a copy of the
reference peer, kept here so the comparison runs from a clone).

8 servers, single worker FIFO each, exponential service mean 10 ms; open-loop Poisson
arrivals at 640/s routed uniformly at random (each server M/M/1 at rho=0.8);
constant 1 ms network delay each way; each server heartbeats a monitor every 100 ms;
servers crash (MTTF exp 600 s) and recover (MTTR exp 30 s); a request sent to a
crashed server is lost and the client times out at 1 s (no retry).
Prints completed requests, mean latency and wall seconds.
"""
import random, sys, time
import simpy

SIM_S = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
N, LAM, SVC, NET, HB = 8, 640.0, 0.010, 0.001, 0.1
MTTF, MTTR, TIMEOUT = 600.0, 30.0, 1.0

rng = random.Random(SEED)
env = simpy.Environment()
up = [True] * N
res = [simpy.Resource(env, capacity=1) for _ in range(N)]
done = []
lost = [0]
hb_count = [0]

def request(i, t0):
    yield env.timeout(NET)
    if not up[i]:
        lost[0] += 1
        return
    with res[i].request() as r:
        yield r
        yield env.timeout(rng.expovariate(1.0 / SVC))
    if not up[i]:
        lost[0] += 1
        return
    yield env.timeout(NET)
    done.append(env.now - t0)

def source():
    while True:
        yield env.timeout(rng.expovariate(LAM))
        env.process(request(rng.randrange(N), env.now))

def heartbeat(i):
    while True:
        yield env.timeout(HB)
        if up[i]:
            hb_count[0] += 1

def faults(i):
    while True:
        yield env.timeout(rng.expovariate(1.0 / MTTF))
        up[i] = False
        yield env.timeout(rng.expovariate(1.0 / MTTR))
        up[i] = True

env.process(source())
for i in range(N):
    env.process(heartbeat(i))
    env.process(faults(i))
w0 = time.perf_counter()
env.run(until=SIM_S)
wall = time.perf_counter() - w0
print(f"completed={len(done)} lost={lost[0]} heartbeats={hb_count[0]} mean_latency_ms={1000*sum(done)/max(1,len(done)):.2f} wall_s={wall:.3f} req_per_wall_s={len(done)/wall:.0f}")
