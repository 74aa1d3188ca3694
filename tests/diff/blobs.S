/* tests/diff/blobs.S — the parts linked on their own, in the 32-bit
 * kernel: the 64-bit part (flat binary for LM_BASE) placed by kernel.ld at
 * exactly LM_BASE; the real-mode part (flat binary for RM_BASE), which
 * pm.c copies there. */
        .section .lm, "awx"
        .globl lm_blob_start
lm_blob_start:
        .incbin LM_BIN

        .section .rodata.rm, "a"
        .globl rm_blob_start, rm_blob_end
rm_blob_start:
        .incbin RM_BIN
rm_blob_end:

        .section .note.GNU-stack, "", @progbits
