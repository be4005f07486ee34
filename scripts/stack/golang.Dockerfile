# Go 1.19 from Debian's packages for the target architecture (scripts/stack/golang-base.sh makes
# the context), on the stack's static busybox: a compiler image built without a public registry.
FROM scratch
ARG TARGETARCH
COPY busybox-${TARGETARCH} /bin/busybox
COPY rootfs-${TARGETARCH}/ /
COPY src/ /
# For non-amd64 targets this already runs under QEMU.
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p -m 1777 /tmp"]
ENV PATH=/usr/lib/go-1.19/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CGO_ENABLED=0 GOPROXY=off GOFLAGS=-buildvcs=false GOCACHE=/tmp/go-cache GOPATH=/tmp/go
CMD ["/bin/sh"]
