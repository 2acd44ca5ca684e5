/* SPDX-License-Identifier: MIT */
/*
 * rename.h - forced into every mmstack-side file of fuzz_memblock_kernel
 * (-include): the memblock API of lib/memblock.h gets the prefix kmb_, so
 * that shim.c can implement it on the kernel's memblock, whose own
 * functions carry the names memblock_*.
 */
#ifndef MMSTACK_FUZZ_MEMBLOCK_KERNEL_RENAME_H
#define MMSTACK_FUZZ_MEMBLOCK_KERNEL_RENAME_H

#define memblock_add kmemblock_add
#define memblock_add_node kmemblock_add_node
#define memblock_alloc_exact_nid kmemblock_alloc_exact_nid
#define memblock_allow_resize kmemblock_allow_resize
#define memblock_array_home kmemblock_array_home
#define memblock_array_max kmemblock_array_max
#define memblock_alloc_try_nid kmemblock_alloc_try_nid
#define memblock_bottom_up kmemblock_bottom_up
#define memblock_check kmemblock_check
#define memblock_clear_hotplug kmemblock_clear_hotplug
#define memblock_clear_nomap kmemblock_clear_nomap
#define memblock_create kmemblock_create
#define memblock_destroy kmemblock_destroy
#define memblock_end_of_DRAM kmemblock_end_of_DRAM
#define memblock_ensure_room kmemblock_ensure_room
#define memblock_get_current_limit kmemblock_get_current_limit
#define memblock_grow_count kmemblock_grow_count
#define memblock_is_memory kmemblock_is_memory
#define memblock_is_region_reserved kmemblock_is_region_reserved
#define memblock_mark_hotplug kmemblock_mark_hotplug
#define memblock_mark_mirror kmemblock_mark_mirror
#define memblock_mark_nomap kmemblock_mark_nomap
#define memblock_next_free_range kmemblock_next_free_range
#define memblock_phys_alloc_range kmemblock_phys_alloc_range
#define memblock_phys_free kmemblock_phys_free
#define memblock_phys_mem_size kmemblock_phys_mem_size
#define memblock_region kmemblock_region
#define memblock_region_count kmemblock_region_count
#define memblock_remove kmemblock_remove
#define memblock_reserve kmemblock_reserve
#define memblock_reserved_size kmemblock_reserved_size
#define memblock_set_bottom_up kmemblock_set_bottom_up
#define memblock_set_current_limit kmemblock_set_current_limit
#define memblock_set_node kmemblock_set_node
#define memblock_start_of_DRAM kmemblock_start_of_DRAM
#define memblock_trim_memory kmemblock_trim_memory

#endif
