"""Per-device accelerator specs for sizing: memory a serving engine can use, HBM bandwidth, dense TFLOPS.

Figures come from ../shared/reference/gpu-catalog.md §1 unless a row's ``source`` says otherwise; the
memory column is the device total as ``nvidia-smi`` / the cloud API reports it (MiB), not the marketed GB.
An engine sees a little less: the driver keeps ~480 MiB (H100: nvidia-smi 81559 MiB vs 79.18 GiB that
vLLM reported as total in the llm-d measurements, §3), so ``usable_bytes`` subtracts that.

The canonical names are DESIGN.md's ``accelerator.type`` vocabulary. ``H100-80GB`` covers SXM and PCIe
(labels rarely tell them apart); it carries the SXM figures, and the PCIe part is a variant row, usable by
name but not a default candidate, because its bandwidth is 40 % lower.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024**2
DRIVER_RESERVE_MIB = 480


@dataclass(frozen=True)
class GpuSpec:
    name: str
    memory_mib: int                  # device total as nvidia-smi / the cloud API reports it
    bandwidth_gbps: float            # peak memory bandwidth, GB/s (1e9 bytes)
    tflops_16bit: float              # dense BF16 (FP16 where the part has no BF16), no 2:4 sparsity
    tflops_fp8: float | None         # dense FP8; None where the part has no FP8 tensor cores
    compute_capability: float | None  # CUDA sm version; None for non-CUDA parts
    vendor: str
    source: str
    bf16: bool = True
    driver_reserve_mib: int = DRIVER_RESERVE_MIB

    @property
    def usable_bytes(self) -> int:
        return (self.memory_mib - self.driver_reserve_mib) * MIB

    @property
    def usable_gib(self) -> float:
        return self.usable_bytes / 1024**3


_NEURON = ("AWS Neuron chip (2 NeuronCore-v2); Neuron serving has no gpu_memory_utilization, so the "
           "vLLM rule is an approximation here")

GPUS: dict[str, GpuSpec] = {g.name: g for g in (
    GpuSpec("T4", 15360, 320, 65, None, 7.5, "nvidia", bf16=False,
            source="§1 (320 GB/s ✓, 65 FP16 ✓); 15360 MiB nvidia-smi (unverified; Karpenter says 16384)"),
    GpuSpec("L4", 23034, 300, 121, 242.5, 8.9, "nvidia", source="§1 (300 GB/s ✓; TFLOPS 2nd); MiB: GFD"),
    GpuSpec("A10", 23028, 600, 125, None, 8.6, "nvidia",
            source="§1 (600 GB/s 2nd; TFLOPS unverified); MiB assumed as A10G (unverified)"),
    GpuSpec("A10G", 23028, 600, 70, None, 8.6, "nvidia", source="§1 LLMA (600 GB/s, ~70 TFLOPS); MiB: GFD"),
    GpuSpec("L40S", 46068, 864, 362, 733, 8.9, "nvidia", source="§1 (864 GB/s ✓; 362 derived); MiB: GFD"),
    GpuSpec("A100-40GB", 40960, 1555, 312, None, 8.0, "nvidia", source="§1 LLMA a100-sxm-40gb ✓"),
    GpuSpec("A100-80GB", 81920, 2039, 312, None, 8.0, "nvidia",
            source="§1 LLMA a100-sxm-80gb ✓ (PCIe 1935 GB/s, unverified)"),
    GpuSpec("H100-80GB", 81559, 3350, 989, 1979, 9.0, "nvidia",
            source="§1 LLMA h100-sxm-80gb ✓; 81559 MiB nvidia-smi − 480 = 79.18 GiB seen by vLLM (§3 ✓)"),
    GpuSpec("H100-94GB", 95830, 3900, 835, 1671, 9.0, "nvidia", source="§1 (NVL; all unverified)"),
    GpuSpec("H200-141GB", 143771, 4800, 989, 1979, 9.0, "nvidia",
            source="§1 (4800 GB/s ✓); 143771 MiB nvidia-smi (unverified; AWS reports 144384)"),
    GpuSpec("B200", 183359, 7700, 2250, 4500, 10.0, "nvidia", source="§1 (HGX 7700 GB/s 2nd; 183359 MiB AWS ✓)"),
    GpuSpec("MI300X", 196608, 5300, 1307, 2615, None, "amd", source="§1 (5300 GB/s ✓; TFLOPS 2nd); 192 GiB"),
    GpuSpec("inferentia2", 32768, 820, 190, 190, None, "aws", driver_reserve_mib=0,
            source=f"§1 NEURON ✓ (32 GiB, 820 GB/s, 190 BF16/cFP8 TFLOPS). {_NEURON}"),
    GpuSpec("trainium1", 32768, 820, 190, 190, None, "aws", driver_reserve_mib=0,
            source=f"§1 NEURON ✓. {_NEURON}"),
    GpuSpec("V100-16GB", 16160, 900, 125, None, 7.0, "nvidia", bf16=False,
            source="not in §1: 900 GB/s, 125 FP16 tensor TFLOPS, 16160 MiB (NVIDIA datasheet, unverified)"),
    GpuSpec("V100-32GB", 32510, 900, 125, None, 7.0, "nvidia", bf16=False,
            source="not in §1: 900 GB/s, 125 FP16 tensor TFLOPS, 32510 MiB (unverified)"),
)}

# Form-factor variants: looked up by name, never default candidates (inventory cannot tell them apart).
VARIANTS: dict[str, GpuSpec] = {g.name: g for g in (
    GpuSpec("H100-80GB-PCIe", 81559, 2000, 756, 1513, 9.0, "nvidia", source="§1 LLMA h100-pcie-80gb ✓"),
    GpuSpec("A100-80GB-PCIe", 81920, 1935, 312, None, 8.0, "nvidia", source="§1 (1935 GB/s unverified)"),
)}


def gpu_spec(name: str | GpuSpec) -> GpuSpec | None:
    """A spec by canonical name (case-insensitive) or any alias the accelerator detector knows."""
    if isinstance(name, GpuSpec):
        return name
    by_lower = {key.lower(): spec for key, spec in (GPUS | VARIANTS).items()}
    found = by_lower.get(name.strip().lower())
    if found is None:
        from collectors.detect.accelerators import canonical_accelerator  # framework-free

        canonical = canonical_accelerator(name)
        found = GPUS.get(canonical) if canonical else None
    return found
