// Spliced into hnswlib-node 3.0.0's src/hnswlib/hnswalg.h (hnswlib 0.8.0) by scripts/postinstall-hnswlib.mjs:
// the lines above the loadIndex marker go after the header's `#include <memory>`, the lines below it replace
// HierarchicalNSW::loadIndex. The snapshot format is unchanged (saveIndex is not touched).
#include <cstdint>
#if defined(__linux__)
#include <sys/mman.h>
#endif
// ==== loadIndex ====
    // mass-audio: fast loadIndex. The original checks the file by walking the link lists with a seekg and
    // two tellg per element (an lseek system call each: half of the CPU time of a 1M-point load), reads them again,
    // and lets the first touch of each 4 KiB page of the level-0 block fault (the rest of the time in a VM).
    // This one reads the level-0 block and the link-list section with one read each, checks the section in
    // memory with the original's rules and more (header layout against the space, i.e. the dimension;
    // levels; list lengths; neighbour ids), and asks for transparent huge pages for the level-0 block.

    // `count` link lists `stride` bytes apart, each a size word (list length in its low 16 bits) then ids:
    // true when every length is at most `max_links` and every id below `element_count`.
    static bool linksValid(const char *lists, size_t count, size_t stride, size_t max_links, size_t element_count) {
        for (size_t i = 0; i < count; i++) {
            const char *list = lists + i * stride;
            unsigned short links;
            memcpy(&links, list, sizeof(links));
            if (links > max_links)
                return false;
            for (size_t j = 0; j < links; j++) {
                tableint id;
                memcpy(&id, list + sizeof(linklistsizeint) + j * sizeof(tableint), sizeof(id));
                if (id >= element_count)
                    return false;
            }
        }
        return true;
    }

    void loadIndex(const std::string &location, SpaceInterface<dist_t> *s, size_t max_elements_i = 0) {
        std::ifstream input(location, std::ios::binary);

        if (!input.is_open())
            throw std::runtime_error("Cannot open file");

        clear();
        input.seekg(0, input.end);
        std::streamoff total_filesize = input.tellg();
        input.seekg(0, input.beg);

        readBinaryPOD(input, offsetLevel0_);
        readBinaryPOD(input, max_elements_);
        readBinaryPOD(input, cur_element_count);

        size_t max_elements = max_elements_i;
        if (max_elements < cur_element_count)
            max_elements = max_elements_;
        max_elements_ = max_elements;
        readBinaryPOD(input, size_data_per_element_);
        readBinaryPOD(input, label_offset_);
        readBinaryPOD(input, offsetData_);
        readBinaryPOD(input, maxlevel_);
        readBinaryPOD(input, enterpoint_node_);

        readBinaryPOD(input, maxM_);
        readBinaryPOD(input, maxM0_);
        readBinaryPOD(input, M_);
        readBinaryPOD(input, mult_);
        readBinaryPOD(input, ef_construction_);

        data_size_ = s->get_data_size();
        fstdistfunc_ = s->get_dist_func();
        dist_func_param_ = s->get_dist_func_param();

        if (!input)
            throw std::runtime_error("Index seems to be corrupted or unsupported");
        std::streamoff pos = input.tellg();

        size_links_per_element_ = maxM_ * sizeof(tableint) + sizeof(linklistsizeint);
        size_links_level0_ = maxM0_ * sizeof(tableint) + sizeof(linklistsizeint);
        const size_t element_count = cur_element_count;
        // The layout every hnswlib version since 0.5 writes; a different data size is another dimension.
        if (offsetLevel0_ != 0 || maxM_ == 0 || maxM0_ == 0 || maxM_ > 10000 || maxM0_ > 20000 ||
            offsetData_ != size_links_level0_ || label_offset_ != offsetData_ + data_size_ ||
            size_data_per_element_ != label_offset_ + sizeof(labeltype) || max_elements < element_count ||
            (element_count > 0 && (enterpoint_node_ >= element_count || maxlevel_ < 0)))
            throw std::runtime_error("Index seems to be corrupted or unsupported");
        const size_t rest = total_filesize > pos ? (size_t) (total_filesize - pos) : 0;
        if (element_count > rest / size_data_per_element_)
            throw std::runtime_error("Index seems to be corrupted or unsupported");
        const size_t level0_bytes = element_count * size_data_per_element_;
        const size_t links_bytes = rest - level0_bytes;

        // The link-list section first, so that a corrupt file is refused before the big allocation.
        std::vector<char> links(links_bytes);
        input.seekg(pos + (std::streamoff) level0_bytes, input.beg);
        if (links_bytes > 0)
            input.read(links.data(), links_bytes);
        if (!input)
            throw std::runtime_error("Index seems to be corrupted or unsupported");

        // The check of the original, in memory: every element has a size word and its lists, nothing is left
        // over. Also: no element above the top level, the entry point on it, every list within its degree
        // and pointing at stored elements (a damaged file must not become a crash in a later search).
        size_t offset = 0;
        for (size_t i = 0; i < element_count; i++) {
            unsigned int linkListSize;
            if (links_bytes - offset < sizeof(linkListSize))
                throw std::runtime_error("Index seems to be corrupted or unsupported");
            memcpy(&linkListSize, links.data() + offset, sizeof(linkListSize));
            offset += sizeof(linkListSize);
            const size_t levels = linkListSize / size_links_per_element_;
            if (links_bytes - offset < linkListSize || linkListSize % size_links_per_element_ != 0 ||
                levels > (size_t) maxlevel_ || (i == enterpoint_node_ && levels != (size_t) maxlevel_) ||
                !linksValid(links.data() + offset, levels, size_links_per_element_, maxM_, element_count))
                throw std::runtime_error("Index seems to be corrupted or unsupported");
            offset += linkListSize;
        }
        if (offset != links_bytes)
            throw std::runtime_error("Index seems to be corrupted or unsupported");

        input.seekg(pos, input.beg);
        data_level0_memory_ = (char *) malloc(max_elements * size_data_per_element_);
        if (data_level0_memory_ == nullptr)
            throw std::runtime_error("Not enough memory: loadIndex failed to allocate level0");
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        // Transparent huge pages for the level-0 block (hundreds of MB, touched once by the read and once by
        // the label loop): 512x fewer page faults, which dominate the load in a VM. Advice only: ignored when
        // THP is off.
        {
            const uintptr_t huge = 2u << 20;  // 2 MiB, the x86-64 / arm64 huge page
            const uintptr_t begin = ((uintptr_t) data_level0_memory_ + huge - 1) & ~(huge - 1);
            const uintptr_t end = ((uintptr_t) data_level0_memory_ + max_elements * size_data_per_element_) & ~(huge - 1);
            if (end > begin)
                madvise((void *) begin, end - begin, MADV_HUGEPAGE);
        }
#endif
        input.read(data_level0_memory_, level0_bytes);
        if (!input || !linksValid(data_level0_memory_, element_count, size_data_per_element_, maxM0_, element_count)) {
            free(data_level0_memory_);
            data_level0_memory_ = nullptr;
            throw std::runtime_error("Index seems to be corrupted or unsupported");
        }

        std::vector<std::mutex>(max_elements).swap(link_list_locks_);
        std::vector<std::mutex>(MAX_LABEL_OPERATION_LOCKS).swap(label_op_locks_);

        visited_list_pool_.reset(new VisitedListPool(1, max_elements));

        linkLists_ = (char **) malloc(sizeof(void *) * max_elements);
        if (linkLists_ == nullptr)
            throw std::runtime_error("Not enough memory: loadIndex failed to allocate linklists");
        element_levels_ = std::vector<int>(max_elements);
        revSize_ = 1.0 / mult_;
        ef_ = 10;
        label_lookup_.reserve(element_count);
        offset = 0;
        for (size_t i = 0; i < element_count; i++) {
            label_lookup_[getExternalLabel(i)] = i;
            unsigned int linkListSize;
            memcpy(&linkListSize, links.data() + offset, sizeof(linkListSize));
            offset += sizeof(linkListSize);
            if (linkListSize == 0) {
                element_levels_[i] = 0;
                linkLists_[i] = nullptr;
            } else {
                element_levels_[i] = linkListSize / size_links_per_element_;
                linkLists_[i] = (char *) malloc(linkListSize);
                if (linkLists_[i] == nullptr)
                    throw std::runtime_error("Not enough memory: loadIndex failed to allocate linklist");
                memcpy(linkLists_[i], links.data() + offset, linkListSize);
                offset += linkListSize;
            }
        }

        for (size_t i = 0; i < element_count; i++) {
            if (isMarkedDeleted(i)) {
                num_deleted_ += 1;
                if (allow_replace_deleted_) deleted_elements.insert(i);
            }
        }

        input.close();

        return;
    }
