/* Loads through every Thumb addressing mode the core has, from a buffer the caller passes
 * (tests/test_flash_loads.py): flash_probe(p, out) stores each loaded value (and each written-
 * back base, as an offset from p) into out[] and returns how many words it stored. The caller
 * runs it on the same bytes in flash and in RAM and compares; p may have any alignment, and
 * halfword/word loads at fixed offsets from p then cover every alignment 0..3 (unaligned LDR/LDRH
 * are allowed on ARMv7-M; LDRD/LDM and every ARMv6-M halfword/word load are made from the
 * word-aligned q = p & ~3, as they fault when unaligned on the parts). */
    .syntax unified
    .thumb
    .text
    .global flash_probe
    .type flash_probe, %function
    .thumb_func
flash_probe:
    push {r4-r7, lr}
    mov r7, r1                  /* out[] start, for the count */
    mov r5, r0
    movs r6, #3
    bics r5, r6                 /* r5 = q = p & ~3 */
#if __ARM_ARCH_ISA_THUMB >= 2
/* ---- ARMv7-M / ARMv8-M Mainline ---------------------------------------------------------- */
    /* immediate offsets, 16- and 32-bit encodings, positive and negative */
    ldrb r2, [r0, #1]
    str r2, [r1], #4
    ldrb.w r2, [r0, #201]
    str r2, [r1], #4
    ldrb r2, [r0, #-7]
    str r2, [r1], #4
    ldrsb.w r2, [r0, #3]
    str r2, [r1], #4
    ldrsb r2, [r0, #-5]
    str r2, [r1], #4
    ldrh r2, [r0, #2]
    str r2, [r1], #4
    ldrh.w r2, [r0, #181]
    str r2, [r1], #4
    ldrh r2, [r0, #-3]
    str r2, [r1], #4
    ldrsh.w r2, [r0, #6]
    str r2, [r1], #4
    ldrsh r2, [r0, #-9]
    str r2, [r1], #4
    ldr r2, [r0, #4]
    str r2, [r1], #4
    ldr.w r2, [r0, #149]
    str r2, [r1], #4
    ldr r2, [r0, #-11]
    str r2, [r1], #4
    /* register and shifted-register offsets */
    movs r3, #5
    ldrb r2, [r0, r3]
    str r2, [r1], #4
    ldrsb r2, [r0, r3]
    str r2, [r1], #4
    ldrh r2, [r0, r3]
    str r2, [r1], #4
    ldrsh r2, [r0, r3]
    str r2, [r1], #4
    ldr r2, [r0, r3]
    str r2, [r1], #4
    ldrb.w r2, [r0, r3, lsl #3]
    str r2, [r1], #4
    ldrsb.w r2, [r0, r3, lsl #2]
    str r2, [r1], #4
    ldrh.w r2, [r0, r3, lsl #1]
    str r2, [r1], #4
    ldrsh.w r2, [r0, r3, lsl #3]
    str r2, [r1], #4
    ldr.w r2, [r0, r3, lsl #2]
    str r2, [r1], #4
    /* pre-indexed with writeback: the value, then the base's distance from p */
    mov r4, r0
    ldr r2, [r4, #4]!
    str r2, [r1], #4
    ldrh r2, [r4, #3]!
    str r2, [r1], #4
    ldrsb r2, [r4, #-1]!
    str r2, [r1], #4
    ldrsh r2, [r4, #7]!
    str r2, [r1], #4
    ldrb r2, [r4, #2]!
    str r2, [r1], #4
    subs r2, r4, r0
    str r2, [r1], #4
    /* post-indexed */
    ldr r2, [r4], #4
    str r2, [r1], #4
    ldrb r2, [r4], #-3
    str r2, [r1], #4
    ldrsh r2, [r4], #2
    str r2, [r1], #4
    ldrh r2, [r4], #5
    str r2, [r1], #4
    ldrsb r2, [r4], #-1
    str r2, [r1], #4
    subs r2, r4, r0
    str r2, [r1], #4
    /* doubles and multiples, word-aligned */
    ldrd r2, r3, [r5, #8]
    str r2, [r1], #4
    str r3, [r1], #4
    mov r4, r5
    ldrd r2, r3, [r4, #16]!
    str r2, [r1], #4
    str r3, [r1], #4
    ldrd r2, r3, [r4], #-8
    str r2, [r1], #4
    str r3, [r1], #4
    ldrd r2, r3, [r4, #-4]
    str r2, [r1], #4
    str r3, [r1], #4
    subs r2, r4, r5
    str r2, [r1], #4
    mov r4, r5
    ldm r4!, {r2, r3, r6}
    str r2, [r1], #4
    str r3, [r1], #4
    str r6, [r1], #4
    ldmdb r4!, {r2, r3}
    str r2, [r1], #4
    str r3, [r1], #4
    ldm.w r4, {r2, r3, r6}
    str r2, [r1], #4
    str r3, [r1], #4
    str r6, [r1], #4
    subs r2, r4, r5
    str r2, [r1], #4
    /* PC-relative literals (the pool is in flash, beside this code) */
    ldr r2, =0x8badf00d
    str r2, [r1], #4
    ldrh r2, lit_h
    str r2, [r1], #4
    ldrsh r2, lit_h
    str r2, [r1], #4
    ldrsb r2, lit_b
    str r2, [r1], #4
    ldrb r2, lit_b
    str r2, [r1], #4
    ldrd r2, r3, lit_d
    str r2, [r1], #4
    str r3, [r1], #4
    ldr.w r2, lit_w
    str r2, [r1], #4
    /* inside IT blocks: both arms, a failed load leaving its register, writeback in an IT */
    movs r3, #5
    movs r2, #0xAA
    cmp r3, #5
    ite eq
    ldrbeq r2, [r0, #7]
    ldrbne r2, [r0, #8]
    str r2, [r1], #4
    movs r2, #0xAA
    cmp r3, #6
    ite eq
    ldrsheq r2, [r0, #7]
    ldrshne r2, [r0, #9]
    str r2, [r1], #4
    movs r2, #0xAA
    cmp r3, #6
    it eq
    ldreq r2, [r0, #11]
    str r2, [r1], #4
    mov r4, r0
    cmp r3, #5
    itttt eq
    ldreq r2, [r4], #4
    ldrsbeq r6, [r4, #1]!
    addeq r2, r2, r6
    ldrheq r6, [r4, r3]
    add r2, r2, r6
    str r2, [r1], #4
    subs r2, r4, r0
    str r2, [r1], #4
    cmp r3, #5
    itte ne
    ldrne r2, [r5, #4]
    ldrdne r2, r6, [r5]
    ldrdeq r2, r6, [r5, #8]
    str r2, [r1], #4
    str r6, [r1], #4
    /* a table branch through a table in flash, and loads in its targets */
    movs r3, #2
    tbb [pc, r3]
1:  .byte (2f - 1b) / 2, (3f - 1b) / 2, (4f - 1b) / 2, (5f - 1b) / 2
2:  ldrb r2, [r0, #1]
    b 6f
3:  ldrh r2, [r0, #1]
    b 6f
4:  ldrsh r2, [r0, #13]
    b 6f
5:  ldr r2, [r0, #1]
6:  str r2, [r1], #4
#else
/* ---- ARMv6-M: immediate and register offsets, LDM, literals --------------------------------- */
    ldrb r2, [r0, #1]
    stm r1!, {r2}
    ldrb r2, [r0, #31]
    stm r1!, {r2}
    ldrh r2, [r5, #2]
    stm r1!, {r2}
    ldrh r2, [r5, #62]
    stm r1!, {r2}
    ldr r2, [r5, #4]
    stm r1!, {r2}
    ldr r2, [r5, #124]
    stm r1!, {r2}
    movs r3, #5
    ldrb r2, [r0, r3]
    stm r1!, {r2}
    ldrsb r2, [r0, r3]
    stm r1!, {r2}
    movs r3, #6
    ldrh r2, [r5, r3]
    stm r1!, {r2}
    ldrsh r2, [r5, r3]
    stm r1!, {r2}
    movs r3, #12
    ldr r2, [r5, r3]
    stm r1!, {r2}
    mov r4, r5
    ldm r4!, {r2, r3, r6}
    stm r1!, {r2, r3, r6}
    subs r2, r4, r5
    stm r1!, {r2}
    ldm r4, {r2, r3, r4}
    stm r1!, {r2, r3, r4}
    ldr r2, =0x8badf00d
    stm r1!, {r2}
    ldr r2, lit_w
    stm r1!, {r2}
    movs r3, #5
    ldrb r2, [r5, r3]          /* a pointer in r5, index in r3: a flatbuffers-style scalar */
    stm r1!, {r2}
#endif
    subs r0, r1, r7
    lsrs r0, r0, #2
    pop {r4-r7, pc}
    .balign 4
lit_d:
    .word 0x01234567, 0x89abcdef
lit_w:
    .word 0xfeedc0de
lit_h:
    .hword 0x9abc
lit_b:
    .byte 0x85
    .balign 4
    .pool
    .size flash_probe, . - flash_probe
