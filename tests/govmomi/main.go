// A second SOAP client for vlcmsim, written with govmomi (the Go library behind govc and
// Terraform's vSphere provider), whose XML decoder is strict where pyVmomi forgives: a
// value's xsi:type must name the type vCenter sends (ManagedObjectReference, xsd:long, ...).
//
// It does what govc does: log in (trusting only the simulator's CA), read hosts with their
// cluster (parent) and VMs through a container view and the property collector (as
// mo.* structs and as raw ObjectContent, reporting the Go type every raw value decoded to),
// read clusters and VMs, page through RetrievePropertiesEx, run a maintenance-mode round
// trip on one host (EnterMaintenanceMode_Task, govmomi's own task waiter, which creates and
// destroys a PropertyCollector of its own, ExitMaintenanceMode_Task), destroy the view and
// log out.  It prints one JSON document on stdout and exits 0; on any failure, or when a
// host's parent or a VM's host decodes as nil, it prints why on stderr and exits 1.
//
// Built and run by tests/sim/test_govmomi_client.py in GOPATH mode against Debian's
// golang-github-vmware-govmomi-dev (make govmomi-deps):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o vlcm-govmomi-client tests/govmomi/main.go
//	vlcm-govmomi-client -url https://127.0.0.1:PORT/sdk -user U -password P -ca CA.pem -maintenance-host NAME
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Ref is a managed object reference as JSON.
type Ref struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Host is what the client read of one HostSystem.
type Host struct {
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Parent            Ref               `json:"parent"`
	InMaintenanceMode bool              `json:"inMaintenanceMode"`
	ConnectionState   string            `json:"connectionState"`
	MemorySize        int64             `json:"memorySize"`
	NumCPUCores       int16             `json:"numCpuCores"`
	CPUMhz            int32             `json:"cpuMhz"`
	Version           string            `json:"version"`
	Build             string            `json:"build"`
	VMs               []string          `json:"vms"`
	RawTypes          map[string]string `json:"rawTypes"`
}

// Cluster is what the client read of one ClusterComputeResource.
type Cluster struct {
	ID              string            `json:"id"`
	Name            string            `json:"name"`
	Hosts           []string          `json:"hosts"`
	DrsEnabled      bool              `json:"drsEnabled"`
	DrsBehavior     string            `json:"drsBehavior"`
	HaEnabled       bool              `json:"haEnabled"`
	AdmissionCtl    bool              `json:"admissionControlEnabled"`
	EffectiveMemory int64             `json:"effectiveMemory"`
	NumHosts        int32             `json:"numHosts"`
	RawTypes        map[string]string `json:"rawTypes"`
	RawValues       map[string]string `json:"rawValues"`
}

// VM is what the client read of one VirtualMachine.
type VM struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Host       string `json:"host"`
	PowerState string `json:"powerState"`
	MemoryMB   int32  `json:"memoryMB"`
	NumCPU     int32  `json:"numCPU"`
}

// Maintenance is the outcome of the maintenance-mode round trip.
type Maintenance struct {
	Host       string `json:"host"`
	EnterTask  string `json:"enterTask"`
	EnterState string `json:"enterState"`
	InAfter    bool   `json:"inMaintenanceAfterEnter"`
	ExitTask   string `json:"exitTask"`
	ExitState  string `json:"exitState"`
	OutAfter   bool   `json:"inMaintenanceAfterExit"`
}

// Report is the JSON document printed on success.
type Report struct {
	APIVersion  string      `json:"apiVersion"`
	Hosts       []Host      `json:"hosts"`
	Clusters    []Cluster   `json:"clusters"`
	VMs         []VM        `json:"vms"`
	PagedVMs    int         `json:"pagedVms"`
	Pages       int         `json:"pages"`
	Maintenance Maintenance `json:"maintenance"`
	LoggedOut   bool        `json:"loggedOut"`
}

// logout ends the session on every way out (fail exits without running deferred calls).
var logout = func() {}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vlcm-govmomi-client: "+format+"\n", args...)
	logout()
	os.Exit(1)
}

func ref(r *types.ManagedObjectReference) Ref {
	if r == nil {
		return Ref{}
	}
	return Ref{Type: r.Type, Value: r.Value}
}

// raw reads paths of objs with RetrieveProperties and returns obj -> path -> decoded value.
func raw(ctx context.Context, pc *property.Collector, objs []types.ManagedObjectReference, kind string,
	paths []string) (map[string]map[string]interface{}, error) {
	out := map[string]map[string]interface{}{}
	if len(objs) == 0 {
		return out, nil
	}
	var contents []types.ObjectContent
	if err := pc.Retrieve(ctx, objs, paths, &contents); err != nil {
		return nil, err
	}
	for _, oc := range contents {
		if len(oc.MissingSet) > 0 {
			return nil, fmt.Errorf("%s %s: missing %s: %s", kind, oc.Obj.Value, oc.MissingSet[0].Path,
				oc.MissingSet[0].Fault.LocalizedMessage)
		}
		props := map[string]interface{}{}
		for _, p := range oc.PropSet {
			props[p.Name] = p.Val
		}
		out[oc.Obj.Value] = props
	}
	return out, nil
}

func typesOf(props map[string]interface{}) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		out[k] = fmt.Sprintf("%T", v)
	}
	return out
}

func inMaintenance(ctx context.Context, pc *property.Collector, host types.ManagedObjectReference) (bool, error) {
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, host, []string{"runtime.inMaintenanceMode"}, &h); err != nil {
		return false, err
	}
	return h.Runtime.InMaintenanceMode, nil
}

func main() {
	rawURL := flag.String("url", "", "https://HOST:PORT/sdk")
	user := flag.String("user", "", "user name")
	password := flag.String("password", "", "password")
	ca := flag.String("ca", "", "PEM file of the CA to trust")
	mmHost := flag.String("maintenance-host", "", "name of the host for the maintenance-mode round trip")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if *rawURL == "" || *ca == "" || *mmHost == "" {
		fail("-url, -ca and -maintenance-host are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	u, err := soap.ParseURL(*rawURL)
	if err != nil {
		fail("bad -url: %v", err)
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(*ca); err != nil {
		fail("loading the CA %s: %v", *ca, err)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		fail("RetrieveServiceContent: %v", err)
	}
	sm := session.NewManager(vc)
	if err := sm.Login(ctx, url.UserPassword(*user, *password)); err != nil {
		fail("Login: %v", err)
	}
	logout = func() {
		logout = func() {}
		if err := sm.Logout(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "vlcm-govmomi-client: Logout: %v\n", err)
		}
	}
	report := Report{APIVersion: vc.ServiceContent.About.ApiVersion}
	pc := property.DefaultCollector(vc)

	// hosts, clusters, VMs through one container view, as govc does
	cv, err := view.NewManager(vc).CreateContainerView(ctx, vc.ServiceContent.RootFolder,
		[]string{"HostSystem", "ClusterComputeResource", "VirtualMachine"}, true)
	if err != nil {
		fail("CreateContainerView: %v", err)
	}
	var hosts []mo.HostSystem
	err = cv.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "parent", "runtime.inMaintenanceMode",
		"runtime.connectionState", "summary.hardware.memorySize", "summary.hardware.numCpuCores",
		"summary.hardware.cpuMhz", "config.product.version", "config.product.build", "vm"}, &hosts)
	if err != nil {
		fail("reading hosts: %v", err)
	}
	var hostRefs []types.ManagedObjectReference
	for _, h := range hosts {
		hostRefs = append(hostRefs, h.Reference())
	}
	hostRaw, err := raw(ctx, pc, hostRefs, "HostSystem", []string{"parent", "summary.hardware.memorySize",
		"summary.hardware.numCpuCores", "runtime.inMaintenanceMode", "runtime.connectionState", "vm",
		"hardware.memorySize", "config.product"})
	if err != nil {
		fail("reading raw host properties: %v", err)
	}
	for _, h := range hosts {
		if h.Parent == nil {
			fail("host %s (%s): parent decoded as nil", h.Name, h.Self.Value)
		}
		if h.Summary.Hardware == nil || h.Config == nil {
			fail("host %s (%s): summary.hardware or config decoded as nil", h.Name, h.Self.Value)
		}
		out := Host{ID: h.Self.Value, Name: h.Name, Parent: ref(h.Parent),
			InMaintenanceMode: h.Runtime.InMaintenanceMode, ConnectionState: string(h.Runtime.ConnectionState),
			MemorySize: h.Summary.Hardware.MemorySize, NumCPUCores: h.Summary.Hardware.NumCpuCores,
			CPUMhz: h.Summary.Hardware.CpuMhz, Version: h.Config.Product.Version, Build: h.Config.Product.Build,
			VMs: []string{}, RawTypes: typesOf(hostRaw[h.Self.Value])}
		for _, v := range h.Vm {
			out.VMs = append(out.VMs, v.Value)
		}
		sort.Strings(out.VMs)
		report.Hosts = append(report.Hosts, out)
	}

	var clusters []mo.ClusterComputeResource
	if err := cv.Retrieve(ctx, []string{"ClusterComputeResource"}, []string{"name", "host", "configurationEx",
		"summary"}, &clusters); err != nil {
		fail("reading clusters: %v", err)
	}
	var clusterRefs []types.ManagedObjectReference
	for _, c := range clusters {
		clusterRefs = append(clusterRefs, c.Reference())
	}
	// property paths through the runtime subtype (configurationEx is declared ComputeResourceConfigInfo)
	clusterRaw, err := raw(ctx, pc, clusterRefs, "ClusterComputeResource", []string{
		"configurationEx.drsConfig.enabled", "configurationEx.drsConfig.defaultVmBehavior",
		"configurationEx.dasConfig.enabled", "configurationEx.dasConfig.admissionControlEnabled",
		"summary.effectiveMemory", "summary.numHosts", "summary.totalMemory", "host"})
	if err != nil {
		fail("reading raw cluster properties: %v", err)
	}
	for _, c := range clusters {
		cfg, ok := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
		if !ok {
			fail("cluster %s: configurationEx decoded as %T, not *types.ClusterConfigInfoEx", c.Name, c.ConfigurationEx)
		}
		sum, ok := c.Summary.(*types.ClusterComputeResourceSummary)
		if !ok {
			fail("cluster %s: summary decoded as %T, not *types.ClusterComputeResourceSummary", c.Name, c.Summary)
		}
		out := Cluster{ID: c.Self.Value, Name: c.Name, Hosts: []string{}, RawTypes: typesOf(clusterRaw[c.Self.Value]),
			RawValues: map[string]string{}, EffectiveMemory: sum.EffectiveMemory, NumHosts: sum.NumHosts}
		if cfg.DrsConfig.Enabled != nil {
			out.DrsEnabled = *cfg.DrsConfig.Enabled
		}
		out.DrsBehavior = string(cfg.DrsConfig.DefaultVmBehavior)
		if cfg.DasConfig.Enabled != nil {
			out.HaEnabled = *cfg.DasConfig.Enabled
		}
		if cfg.DasConfig.AdmissionControlEnabled != nil {
			out.AdmissionCtl = *cfg.DasConfig.AdmissionControlEnabled
		}
		for _, h := range c.Host {
			out.Hosts = append(out.Hosts, h.Value)
		}
		sort.Strings(out.Hosts)
		for k, v := range clusterRaw[c.Self.Value] {
			if k != "host" {
				out.RawValues[k] = fmt.Sprintf("%v", v)
			}
		}
		report.Clusters = append(report.Clusters, out)
	}

	var vms []mo.VirtualMachine
	if err := cv.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.host", "runtime.powerState",
		"config.hardware.memoryMB", "config.hardware.numCPU"}, &vms); err != nil {
		fail("reading VMs: %v", err)
	}
	for _, v := range vms {
		if v.Runtime.Host == nil {
			fail("VM %s (%s): runtime.host decoded as nil", v.Name, v.Self.Value)
		}
		if v.Config == nil {
			fail("VM %s (%s): config decoded as nil", v.Name, v.Self.Value)
		}
		report.VMs = append(report.VMs, VM{ID: v.Self.Value, Name: v.Name, Host: v.Runtime.Host.Value,
			PowerState: string(v.Runtime.PowerState), MemoryMB: v.Config.Hardware.MemoryMB,
			NumCPU: v.Config.Hardware.NumCPU})
	}

	// RetrievePropertiesEx one object per page, then ContinueRetrievePropertiesEx
	pagedReq := types.RetrievePropertiesEx{This: pc.Reference(), Options: types.RetrieveOptions{MaxObjects: 1},
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{Obj: cv.Reference(), Skip: types.NewBool(true),
				SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
			PropSet: []types.PropertySpec{{Type: "VirtualMachine", PathSet: []string{"name", "runtime.host"}}},
		}}}
	page, err := methods.RetrievePropertiesEx(ctx, vc, &pagedReq)
	if err != nil {
		fail("RetrievePropertiesEx: %v", err)
	}
	result := page.Returnval
	for result != nil {
		report.Pages++
		for _, oc := range result.Objects {
			for _, p := range oc.PropSet {
				if p.Name == "runtime.host" {
					if _, ok := p.Val.(types.ManagedObjectReference); !ok {
						fail("RetrievePropertiesEx: %s runtime.host decoded as %T", oc.Obj.Value, p.Val)
					}
				}
			}
			report.PagedVMs++
		}
		if result.Token == "" {
			break
		}
		next, err := methods.ContinueRetrievePropertiesEx(ctx, vc,
			&types.ContinueRetrievePropertiesEx{This: pc.Reference(), Token: result.Token})
		if err != nil {
			fail("ContinueRetrievePropertiesEx: %v", err)
		}
		result = &next.Returnval
	}
	if err := cv.Destroy(ctx); err != nil {
		fail("DestroyView: %v", err)
	}

	// maintenance-mode round trip, waiting with govmomi's task waiter
	var target *mo.HostSystem
	for i := range hosts {
		if hosts[i].Name == *mmHost {
			target = &hosts[i]
		}
	}
	if target == nil {
		fail("no host named %q", *mmHost)
	}
	hs := object.NewHostSystem(vc, target.Reference())
	mm := Maintenance{Host: target.Self.Value}
	task, err := hs.EnterMaintenanceMode(ctx, 0, false, nil)
	if err != nil {
		fail("EnterMaintenanceMode_Task: %v", err)
	}
	mm.EnterTask = task.Reference().Value
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		fail("waiting for %s (EnterMaintenanceMode_Task): %v", mm.EnterTask, err)
	}
	mm.EnterState = string(info.State)
	if mm.InAfter, err = inMaintenance(ctx, pc, target.Reference()); err != nil {
		fail("reading runtime.inMaintenanceMode: %v", err)
	}
	task, err = hs.ExitMaintenanceMode(ctx, 0)
	if err != nil {
		fail("ExitMaintenanceMode_Task: %v", err)
	}
	mm.ExitTask = task.Reference().Value
	info, err = task.WaitForResult(ctx, nil)
	if err != nil {
		fail("waiting for %s (ExitMaintenanceMode_Task): %v", mm.ExitTask, err)
	}
	mm.ExitState = string(info.State)
	if mm.OutAfter, err = inMaintenance(ctx, pc, target.Reference()); err != nil {
		fail("reading runtime.inMaintenanceMode: %v", err)
	}
	report.Maintenance = mm

	logout = func() {}
	if err := sm.Logout(ctx); err != nil {
		fail("Logout: %v", err)
	}
	report.LoggedOut = true
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		fail("writing the report: %v", err)
	}
}
