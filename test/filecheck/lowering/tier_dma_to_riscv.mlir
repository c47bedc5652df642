// RUN: tdopt %s -p convert-tier-dma-to-riscv | filecheck %s
// RUN: tdopt %s -p convert-func-to-riscv-func,convert-tier-dma-to-riscv,convert-memref-to-riscv,reconcile-unrealized-casts,canonicalize,cse | filecheck %s --check-prefix=OPT
// RUN: tdopt %s -p convert-func-to-riscv-func,convert-tier-dma-to-riscv,convert-memref-to-riscv,reconcile-unrealized-casts,canonicalize,cse,riscv-allocate-registers,canonicalize,riscv-lower-parallel-mov -t riscv-asm | filecheck %s --check-prefix=ASM

// The DMA registers of runtime/include/tdrt_regs.h: base 0x10200000
// (270532608), SRC 0x100 (256), DST 0x104 (260), LEN 0x108 (264),
// SRC_STRIDE 0x10C (268), DST_STRIDE 0x110 (272), ROWS 0x114 (276), START
// 0x118 (280), WAIT_ID 0x120 (288), WAIT 0x124 (292), WAIT_ALL 0x128 (296).

// A whole contiguous memref: one row of 64 x 4 bytes; the strides are not
// written for a 1-D transfer.
// CHECK-LABEL: func.func @whole
// CHECK-NEXT:  %[[SRC:.*]] = builtin.unrealized_conversion_cast %a : memref<64xf32, #tier.space<l2>> to !riscv.reg
// CHECK-NEXT:  %[[DST:.*]] = builtin.unrealized_conversion_cast %b : memref<64xf32, #tier.space<l1>> to !riscv.reg
// CHECK-NEXT:  %[[BASE:.*]] = rv32.li 270532608 : !riscv.reg
// CHECK-NEXT:  riscv.sw %[[BASE]], %[[SRC]], 256
// CHECK-NEXT:  riscv.sw %[[BASE]], %[[DST]], 260
// CHECK-NEXT:  %[[LEN:.*]] = rv32.li 256 : !riscv.reg
// CHECK-NEXT:  riscv.sw %[[BASE]], %[[LEN]], 264
// CHECK-NEXT:  %[[ROWS:.*]] = rv32.li 1 : !riscv.reg
// CHECK-NEXT:  riscv.sw %[[BASE]], %[[ROWS]], 276
// CHECK-NEXT:  %[[ID:.*]] = tier.mmio_lw %[[BASE]], 280 {{.*}} : (!riscv.reg) -> !riscv.reg
// CHECK-NEXT:  %[[ID32:.*]] = builtin.unrealized_conversion_cast %[[ID]] : !riscv.reg to i32
// CHECK-NEXT:  %[[W:.*]] = builtin.unrealized_conversion_cast %[[ID32]] : i32 to !riscv.reg
// CHECK-NEXT:  %[[BASE2:.*]] = rv32.li 270532608 : !riscv.reg
// CHECK-NEXT:  riscv.sw %[[BASE2]], %[[W]], 288
// CHECK-NEXT:  tier.mmio_lw %[[BASE2]], 292
// CHECK-NEXT:  func.return
func.func @whole(%a: memref<64xf32, #tier.space<l2>>, %b: memref<64xf32, #tier.space<l1>>) {
  %0 = tier.dma_start %a to %b : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
  tier.dma_wait %0
  func.return
}

// Explicit sizes: 1-D prefix, and 2-D rows with their strides.
// CHECK-LABEL: func.func @explicit
// CHECK:       rv32.li 128
// CHECK-NEXT:  riscv.sw {{.*}}, 264
// CHECK-NEXT:  %[[R1:.*]] = rv32.li 1
// CHECK-NEXT:  riscv.sw {{.*}}, %[[R1]], 276
// CHECK-NEXT:  tier.mmio_lw {{.*}}, 280
// CHECK:       %[[LEN:.*]] = rv32.li 16
// CHECK-NEXT:  riscv.sw {{.*}}, %[[LEN]], 264
// CHECK-NEXT:  %[[ROWS:.*]] = rv32.li 8
// CHECK-NEXT:  riscv.sw {{.*}}, %[[ROWS]], 276
// CHECK-NEXT:  %[[SS:.*]] = rv32.li 64
// CHECK-NEXT:  riscv.sw {{.*}}, %[[SS]], 268
// CHECK-NEXT:  %[[DS:.*]] = rv32.li 16
// CHECK-NEXT:  riscv.sw {{.*}}, %[[DS]], 272
// CHECK-NEXT:  tier.mmio_lw {{.*}}, 280
// CHECK:       tier.mmio_lw {{.*}}, 296
func.func @explicit(%a: memref<64xf32, #tier.space<l1>>, %w: memref<64xf32, #tier.space<l3>>, %m: memref<8x16xf32, #tier.space<l2>>, %c: memref<8x4xf32, #tier.space<l1>>) {
  %0 = tier.dma_start %a to %w bytes 128 : memref<64xf32, #tier.space<l1>> to memref<64xf32, #tier.space<l3>>
  %1 = tier.dma_start %m to %c bytes 16 rows 8 src_stride 64 dst_stride 16 : memref<8x16xf32, #tier.space<l2>> to memref<8x4xf32, #tier.space<l1>>
  tier.dma_wait_all
  func.return
}

// A 4x8 block of a 8x16 matrix (a subview) into a contiguous L1 tile: 4 rows
// of 32 bytes, 64 bytes apart in the source, 32 in the tile.
// CHECK-LABEL: func.func @block
// CHECK:       %[[LEN:.*]] = rv32.li 32
// CHECK-NEXT:  riscv.sw {{.*}}, %[[LEN]], 264
// CHECK-NEXT:  %[[ROWS:.*]] = rv32.li 4
// CHECK-NEXT:  riscv.sw {{.*}}, %[[ROWS]], 276
// CHECK-NEXT:  %[[SS:.*]] = rv32.li 64
// CHECK-NEXT:  riscv.sw {{.*}}, %[[SS]], 268
// CHECK-NEXT:  %[[DS:.*]] = rv32.li 32
// CHECK-NEXT:  riscv.sw {{.*}}, %[[DS]], 272
// CHECK-NEXT:  tier.mmio_lw {{.*}}, 280
func.func @block(%m: memref<8x16xf32, #tier.space<l2>>, %t: memref<4x8xf32, #tier.space<l1>>) {
  %v = memref.subview %m[2, 4] [4, 8] [1, 1] : memref<8x16xf32, #tier.space<l2>> to memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l2>>
  %0 = tier.dma_start %v to %t : memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l2>> to memref<4x8xf32, #tier.space<l1>>
  func.return
}

// A column (unit dimension dropped): 8 rows of one element.
// CHECK-LABEL: func.func @column
// CHECK:       %[[LEN:.*]] = rv32.li 4
// CHECK-NEXT:  riscv.sw {{.*}}, %[[LEN]], 264
// CHECK-NEXT:  %[[ROWS:.*]] = rv32.li 8
// CHECK-NEXT:  riscv.sw {{.*}}, %[[ROWS]], 276
// CHECK-NEXT:  %[[SS:.*]] = rv32.li 4
// CHECK-NEXT:  riscv.sw {{.*}}, %[[SS]], 268
// CHECK-NEXT:  %[[DS:.*]] = rv32.li 64
// CHECK-NEXT:  riscv.sw {{.*}}, %[[DS]], 272
func.func @column(%c: memref<8x1xf32, #tier.space<l1>>, %m: memref<8x1xf32, strided<[16, 1], offset: 3>, #tier.space<l2>>) {
  %0 = tier.dma_start %c to %m : memref<8x1xf32, #tier.space<l1>> to memref<8x1xf32, strided<[16, 1], offset: 3>, #tier.space<l2>>
  func.return
}

// After canonicalize and cse, the blocking loads whose results are unused
// stay, and two waits in a row stay two: `tier.mmio_lw` declares a write.
// The subview offset (36 elements) is in the source pointer.
// OPT-LABEL: riscv_func.func public @block
// OPT:       riscv.addi %{{.*}}, 144 {comment = "subview offset"}
// OPT-LABEL: riscv_func.func public @waits
// OPT:       %[[BASE:.*]] = rv32.li 270532608
// OPT:       tier.mmio_lw %[[BASE]], 280
// OPT-NEXT:  riscv.sw %[[BASE]], %{{.*}}, 288
// OPT-NEXT:  tier.mmio_lw %[[BASE]], 292
// OPT-NEXT:  tier.mmio_lw %[[BASE]], 296
// OPT-NEXT:  tier.mmio_lw %[[BASE]], 296
// OPT-NOT:   tier.mmio_lw
// OPT:       riscv_func.return
func.func @waits(%a: memref<64xf32, #tier.space<l2>>, %b: memref<64xf32, #tier.space<l1>>) {
  %0 = tier.dma_start %a to %b : memref<64xf32, #tier.space<l2>> to memref<64xf32, #tier.space<l1>>
  tier.dma_wait %0
  tier.dma_wait_all
  tier.dma_wait_all
  func.return
}

// In assembly, the blocking reads are plain `lw rd, offset(base)`.
// ASM-LABEL: waits:
// ASM:       li [[BASE:[a-z0-9]+]], 270532608
// ASM:       lw [[ID:[a-z0-9]+]], 280([[BASE]])
// ASM-NEXT:  sw [[ID]], 288([[BASE]])
// ASM-NEXT:  lw {{[a-z0-9]+}}, 292([[BASE]])
// ASM-NEXT:  lw {{[a-z0-9]+}}, 296([[BASE]])
