"""The NumPy peer of the monitor benchmark: the same per-event processing as the workers
(src-main/monitor/recon), written as a physicist would with NumPy: the event layout is learned from the
first event, every event of a chunk is gathered into (events x channels x words) arrays, and decoding,
checks, pedestal, amplitude, peak time, calibration, the per-event physics and every histogram are array
operations. Run by test/bench/monitor.bench.ts with: CONFIG.json EVENTS.u32 OFFSETS.u32 [REPEAT].
Prints one JSON line: {"events": N, "seconds": best of REPEAT, "processed": N, "ecalEntries": ...}.
"""
import json
import sys
import time

import numpy as np

PHYSICS = 7
DATE_HEADER_WORDS = 17
CHUNK = 2000


def learn_layout(words, start, end, address_to_cell):
    """Positions (word offsets from the event start) of every mapped channel header, and its cell."""
    rel, cells, samples = [], [], None
    p = start + DATE_HEADER_WORDS
    while p < end:
        size = int(words[p]) & 0xFFFF
        source = (int(words[p]) >> 16) & 0x3FF
        if int(words[p + 2]) & 0xFF == 3:
            q = p + 3
            while q < p + size:
                head = int(words[q])
                block_end = q + ((head >> 12) & 0xFFF)
                base = (source * 8 + ((head >> 27) & 7)) * 64 + ((head >> 25) & 3) * 16
                q += 1
                while q < block_end:
                    ch = int(words[q])
                    n = (ch >> 16) & 0x1FF
                    cell = address_to_cell[base + ((ch >> 25) & 0xF)]
                    if cell >= 0:
                        rel.append(q - start)
                        cells.append(cell)
                        samples = n
                    q += 1 + (n + 1) // 2
        p += size
    return np.array(rel), np.array(cells), samples


def make_histograms(cfg):
    ax = cfg["histograms"]
    lay = cfg["layout"]
    h = {}

    def h1(name, a):
        h[name] = ("1d", np.linspace(a["min"], a["max"], a["nbins"] + 1), np.zeros(a["nbins"] + 2))

    def h2(name, ax_x, ax_y):
        h[name] = ("2d", (np.linspace(ax_x["min"], ax_x["max"], ax_x["nbins"] + 1), np.linspace(ax_y["min"], ax_y["max"], ax_y["nbins"] + 1)), np.zeros((ax_x["nbins"], ax_y["nbins"])))

    cells = cfg["cells"]
    cell_axis = {"nbins": cells, "min": 0, "max": cells}
    n_ecal = len(lay["ecalPreshower"]) + len(lay["ecalMain"])
    srd_cols = {"nbins": len(lay["srd"]) + 1, "min": 0, "max": len(lay["srd"]) + 1}
    e0 = cfg["cuts"]["beamEnergyGeV"]
    h1("ecal_energy", ax["ecalEnergy"])
    h1("ecal_preshower", ax["ecalPreshower"])
    h2("ecal_cell_energy", {"nbins": n_ecal, "min": 0, "max": n_ecal}, {"nbins": 100, "min": 0, "max": e0})
    h2("ecal_occupancy", {"nbins": lay["ecalNx"], "min": 0, "max": lay["ecalNx"]}, {"nbins": lay["ecalNy"], "min": 0, "max": lay["ecalNy"]})
    h1("ecal_shape", {"nbins": 100, "min": 0, "max": 1})
    h1("shower_x", ax["shower"])
    h1("shower_y", ax["shower"])
    h1("hcal_energy", ax["hcalEnergy"])
    nm = max(1, len(lay["hcalModules"]))
    h2("hcal_module_energy", {"nbins": nm, "min": 0, "max": nm}, ax["hcalEnergy"])
    h2("ecal_vs_hcal", {**ax["ecalEnergy"], "nbins": min(ax["ecalEnergy"]["nbins"], 150)}, {**ax["hcalEnergy"], "nbins": min(ax["hcalEnergy"]["nbins"], 150)})
    for name in ("srd_energy", "srd_energy_e", "srd_energy_hadron"):
        h2(name, srd_cols, ax["srdMeV"])
    h1("veto_energy", ax["vetoMeV"])
    nc = max(1, len(lay["counters"]))
    h2("counter_amplitudes", {"nbins": nc, "min": 0, "max": nc}, ax["counterAdc"])
    h2("pedestals", cell_axis, ax["pedestalAdc"])
    h2("peak_time", cell_axis, ax["peakTimeNs"])
    h1("trigger_rates", {"nbins": 4, "min": 0, "max": 4})
    h1("channel_occupancy", cell_axis)
    return h


def fill1(h, name, values):
    _, edges, counts = h[name]
    c, _ = np.histogram(values, bins=edges)
    counts[1:-1] += c
    counts[0] += np.count_nonzero(values < edges[0])
    counts[-1] += np.count_nonzero(values >= edges[-1])


def fill2(h, name, x, y):
    _, (ex, ey), counts = h[name]
    c, _, _ = np.histogram2d(x, y, bins=(ex, ey))
    counts += c


def process(cfg, words, offsets, h, figures):
    a2c = cfg["addressToCell"]
    lay = cfg["layout"]
    cuts = cfg["cuts"]
    cells = cfg["cells"]
    starts = (offsets[:-1] // 4).astype(np.int64)
    sizes = (np.diff(offsets) // 4).astype(np.int64)
    rel, chan_cell, n_samples = learn_layout(words, starts[0], starts[0] + sizes[0], a2c)
    n_words = (n_samples + 1) // 2
    ped_n, w_from, w_to = cfg["pedestalSamples"], cfg["window"]["from"], cfg["window"]["to"]
    calib = np.array(cfg["calibration"]["gevPerAdc"]) * np.array(cfg["calibration"]["ledCorrection"])
    cell_calib = calib[chan_cell]
    tower_of = np.array(lay["ecalTower"])
    ntow = lay["ecalNx"] * lay["ecalNy"]
    tower_matrix = np.zeros((cells, ntow))
    for c, t in enumerate(tower_of):
        if t >= 0:
            tower_matrix[c, t] = 1
    tx = ((np.arange(ntow) // lay["ecalNy"]) + 0.5 - lay["ecalNx"] / 2) * lay["ecalPitchMm"]
    ty = ((np.arange(ntow) % lay["ecalNy"]) + 0.5 - lay["ecalNy"] / 2) * lay["ecalPitchMm"]
    ecal_index = np.full(cells, -1)
    for i, c in enumerate(lay["ecalPreshower"] + lay["ecalMain"]):
        ecal_index[c] = i
    hit = cfg["hitThresholdAdc"]
    tower_hit_gev = hit * calib[lay["ecalMain"][0]]
    for first in range(0, len(starts), CHUNK):
        ev = starts[first:first + CHUNK]
        same = sizes[first:first + CHUNK] == sizes[0]
        ev = ev[same & (words[ev + 4] == PHYSICS)]
        n = len(ev)
        trig = (words[ev + 8] >> 1) | ((words[ev + 9] & 1) << 31)
        heads = words[ev[:, None] + rel[None, :]]
        data = words[ev[:, None, None] + rel[None, :, None] + 1 + np.arange(n_words)[None, None, :]]
        a = (data & 0xFFF).astype(np.int32)
        b = ((data >> 12) & 0xFFF).astype(np.int32)
        ok = ((data >> 24) == 0x2A).all(axis=(1, 2)) & ((heads >> 30) == 1).all(axis=1)
        samples = np.empty((n, len(rel), 2 * n_words), dtype=np.int32)
        samples[..., 0::2] = a
        samples[..., 1::2] = b
        ok &= ((samples.sum(axis=2) & 0xFFFF) == (heads & 0xFFFF)).all(axis=1)
        figures["bad"] += int(n - ok.sum())
        samples, trig = samples[ok], trig[ok]
        n = len(samples)
        raw_ped = samples[..., :ped_n].mean(axis=2)
        # pile-up in the pedestal samples: a pedestal more than 8 ADC above the channel's median is replaced
        reference = np.median(raw_ped, axis=0)
        ped = np.where(raw_ped > reference + 8, reference, raw_ped)
        window = samples[..., w_from:w_to]
        amp = (window.sum(axis=2) - ped * (w_to - w_from)) / cfg["window"]["pulseArea"]
        energy_ch = amp * cell_calib
        energy = np.zeros((n, cells))
        energy[:, chan_cell] = energy_ch
        hits = amp > hit
        # peak time: the largest window sample and a parabola through its neighbours
        at = window.argmax(axis=2)
        idx = np.clip(at, 1, w_to - w_from - 2)
        take = lambda k: np.take_along_axis(window, k[..., None], axis=2)[..., 0] - ped
        left, centre, right = take(idx - 1), take(idx), take(idx + 1)
        denominator = left - 2 * centre + right
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where((denominator < 0) & (at > 0) & (at < w_to - w_from - 1), np.clip(0.5 * (left - right) / denominator, -0.5, 0.5), 0)
        peak = (w_from + at + shift) * 12.5
        ev_idx, ch_idx = np.nonzero(hits)
        hit_cells = chan_cell[ch_idx]
        fill2(h, "pedestals", np.broadcast_to(chan_cell, raw_ped.shape).ravel(), raw_ped.ravel())
        h["channel_occupancy"][2][1:-1] += np.bincount(hit_cells, minlength=cells)
        fill2(h, "peak_time", hit_cells, peak[ev_idx, ch_idx])
        e_hit = ecal_index[hit_cells] >= 0
        fill2(h, "ecal_cell_energy", ecal_index[hit_cells[e_hit]], energy_ch[ev_idx[e_hit], ch_idx[e_hit]])
        towers = energy @ tower_matrix
        ps = energy[:, lay["ecalPreshower"]].sum(axis=1)
        ecal = ps + energy[:, lay["ecalMain"]].sum(axis=1)
        tw, tt = np.nonzero(towers > tower_hit_gev)
        fill2(h, "ecal_occupancy", tt // lay["ecalNy"], tt % lay["ecalNy"])
        modules = np.stack([energy[:, m].sum(axis=1) for m in lay["hcalModules"]], axis=1) if lay["hcalModules"] else np.zeros((n, 0))
        hcal = modules.sum(axis=1)
        veto = energy[:, lay["veto"]].sum(axis=1)
        fill1(h, "ecal_energy", ecal)
        fill1(h, "ecal_preshower", ps)
        shower = ecal > 0
        fill1(h, "shower_x", (towers[shower] @ tx) / ecal[shower])
        fill1(h, "shower_y", (towers[shower] @ ty) / ecal[shower])
        fill1(h, "ecal_shape", towers[shower].max(axis=1) / ecal[shower])
        fill1(h, "hcal_energy", hcal)
        for m in range(modules.shape[1]):
            fill2(h, "hcal_module_energy", np.full(n, m), modules[:, m])
        fill2(h, "ecal_vs_hcal", ecal, hcal)
        fill1(h, "veto_energy", veto * 1000)
        counters = amp[:, [list(chan_cell).index(c) for c in lay["counters"]]]
        fill2(h, "counter_amplitudes", np.broadcast_to(np.arange(counters.shape[1]), counters.shape).ravel(), counters.ravel())
        for bit in range(4):
            h["trigger_rates"][2][1 + bit] += np.count_nonzero(trig & (1 << bit))
        # SRD: the highest local maximum whose parabola-refined peak lies in the in-time window, its height
        srd_ch = [list(chan_cell).index(c) for c in lay["srd"]]
        s_srd = samples[:, srd_ch, :]
        t_from, t_to = cuts["srd"]["peakFromNs"], cuts["srd"]["peakToNs"]
        best = np.full((n, len(srd_ch)), -np.inf)
        for k in range(max(1, int(np.floor(t_from / 12.5)) - 1), min(s_srd.shape[2] - 2, int(np.ceil(t_to / 12.5)) + 1) + 1):
            l, c, r = s_srd[..., k - 1], s_srd[..., k], s_srd[..., k + 1]
            d = l - 2 * c + r
            with np.errstate(divide="ignore", invalid="ignore"):
                sh = np.where(d < 0, np.clip(0.5 * (l - r) / d, -0.5, 0.5), 0)
            t = (k + sh) * 12.5
            height = c - 0.25 * (l - r) * sh - ped[:, srd_ch]
            take_it = (c > l) & (c >= r) & (t >= t_from) & (t <= t_to) & (height > best)
            best = np.where(take_it, height, best)
        srd_in_time = best * cell_calib[srd_ch] * 1000
        # the SRD spectra show the in-time energy (0 without an in-time pulse), as the cut reads it
        srd = np.where(np.isfinite(srd_in_time), srd_in_time, 0)
        srd_sum = srd.sum(axis=1)
        columns = np.concatenate([srd, srd_sum[:, None]], axis=1)
        col_x = np.broadcast_to(np.arange(columns.shape[1]), columns.shape)
        fill2(h, "srd_energy", col_x.ravel(), columns.ravel())
        # particle tags, e/π, EOT and the blinded signal region
        srd_in = ((srd_in_time > cuts["srd"]["moduleMinMeV"]) & (srd_in_time < cuts["srd"]["moduleMaxMeV"])).sum(axis=1)
        srd_pass = srd_in >= min(cuts["srd"]["minModules"], srd.shape[1])
        quiet = hcal < cuts["hcalQuietGeV"]
        muon = ((ecal < cuts["muonEcalMaxGeV"]) | (modules.max(axis=1) < cuts["muonModuleMaxGeV"])) & (modules.min(axis=1) > cuts["muonModuleGeV"]) if modules.shape[1] else np.zeros(n, bool)
        calo_e = (ecal > cuts["electronEcalFraction"] * cuts["beamEnergyGeV"]) & quiet
        calo_h = ~muon & (hcal > cuts["hadronHcalGeV"]) & (ecal < cuts["electronEcalFraction"] * cuts["beamEnergyGeV"])
        electron = srd_pass | calo_e
        random_only = trig == 4
        use = ~random_only
        fill2(h, "srd_energy_e", col_x[use & calo_e].ravel(), columns[use & calo_e].ravel())
        fill2(h, "srd_energy_hadron", col_x[use & calo_h & ~calo_e].ravel(), columns[use & calo_h & ~calo_e].ravel())
        beam = use & ((trig & 2) != 0)
        figures["events"] += n
        figures["beamEvents"] += int(beam.sum())
        figures["beamElectrons"] += int((beam & electron).sum())
        figures["caloElectrons"] += int((use & calo_e).sum())
        figures["caloElectronsSrd"] += int((use & calo_e & srd_pass).sum())
        figures["signalCandidates"] += int((use & srd_pass & (ecal < cuts["signal"]["ecalBelowGeV"]) & quiet & (veto < cuts["vetoQuietGeV"])).sum())


def main():
    cfg = json.load(open(sys.argv[1]))
    words = np.fromfile(sys.argv[2], dtype="<u4")
    offsets = np.fromfile(sys.argv[3], dtype="<u4").astype(np.int64)
    repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    best = None
    for _ in range(repeat):
        h = make_histograms(cfg)
        figures = {"events": 0, "bad": 0, "beamEvents": 0, "beamElectrons": 0, "caloElectrons": 0, "caloElectronsSrd": 0, "signalCandidates": 0}
        t = time.perf_counter()
        process(cfg, words, offsets, h, figures)
        seconds = time.perf_counter() - t
        best = seconds if best is None else min(best, seconds)
    print(json.dumps({"events": len(offsets) - 1, "seconds": best, "processed": figures["events"], "figures": figures, "ecalEntries": float(h["ecal_energy"][2].sum()), "numpy": np.__version__}))


if __name__ == "__main__":
    main()
