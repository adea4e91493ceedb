/*
 * The partnership map of the C3P portal: plain ES, no build step, no tile server.
 *
 * The base layer is the portal's own GeoJSON of country outlines; partner places and Japanese
 * local governments are circle markers; partnerships are lines between them. Every text the
 * map shows comes from data-* attributes of the map element, already in the page language.
 * With a filter form (data-filters) a changed filter reloads the GeoJSON and updates the URL.
 *
 * The map is centred on the Asia-Pacific: longitudes west of WEST_EDGE are drawn one turn
 * east (+360°), so a line from Toyama to Renca (Chile) crosses the Pacific, not Africa, and the
 * country outlines are drawn a second time one turn east to lie under them. Japan's local
 * governments, close together, are clustered (Leaflet.markercluster, served from the installed
 * xstatic package) so each stays reachable.
 */
(function () {
  "use strict";

  var COLORS = {
    partner_place: "#1b7f5f",
    japanese_government: "#2f6fb0",
    line: "#6b7785",
    lineCurrent: "#c25e00",
    land: "#e9ecef",
    landPartner: "#d3ebdf",
    landJapan: "#d6e4f5",
    border: "#ffffff",
    sea: "#f5f9fc"
  };
  var WEST_EDGE = -30;
  var DETAIL_PATHS = {
    partner_place: "/partner-places/",
    japanese_government: "/japanese-governments/"
  };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  /** A longitude in the map's Pacific-centred frame [WEST_EDGE, WEST_EDGE + 360). */
  function unwrap(lng) {
    return lng < WEST_EDGE ? lng + 360 : lng;
  }

  /** A line's points, each within half a turn of the one before it (the short way round). */
  function unwrapLine(coordinates) {
    var previous = null;
    return coordinates.map(function (c) {
      var lng = previous === null ? unwrap(c[0]) : c[0];
      if (previous !== null) {
        while (lng - previous > 180) {
          lng -= 360;
        }
        while (previous - lng > 180) {
          lng += 360;
        }
      }
      previous = lng;
      return [c[1], lng];
    });
  }

  function localName(props, lang) {
    var own = props["name_" + lang];
    return own || props.name_ja || props.name_en || props.slug;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ": HTTP " + response.status);
      }
      return response.json();
    });
  }

  /** The non-empty values of a filter form, as a query string. */
  function formQuery(form) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name && element.value !== "" && element.tagName === "SELECT") {
        params.set(element.name, element.value);
      }
    });
    return params.toString();
  }

  function PartnershipMap(element) {
    this.element = element;
    this.lang = element.dataset.lang || "ja";
    this.status = document.getElementById("map-status");
    this.form = element.dataset.filters ? document.getElementById(element.dataset.filters) : null;
    this.map = L.map(element, {
      worldCopyJump: false,
      minZoom: 1,
      maxZoom: 10,
      zoomSnap: 0.25,
      attributionControl: true
    });
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution("Natural Earth · GeoNames (CC BY 4.0)");
    this.map.createPane("links");
    this.map.getPane("links").style.zIndex = 410;
    this.map.setView([15, 130], 3);
    this.basemap = null;
    this.overlay = L.layerGroup().addTo(this.map);
    this.loadBasemap();
    this.load(element.dataset.query || "");
    if (this.form) {
      this.bindForm();
    }
  }

  PartnershipMap.prototype.say = function (text) {
    if (this.status) {
      this.status.textContent = text;
    }
  };

  PartnershipMap.prototype.loadBasemap = function () {
    var self = this;
    fetchJson(this.element.dataset.basemap)
      .then(function (geojson) {
        var style = function () {
          return { color: COLORS.border, weight: 0.6, fillColor: COLORS.land, fillOpacity: 1 };
        };
        var turnEast = function (c) {
          return L.latLng(c[1], c[0] + 360);
        };
        self.basemap = L.featureGroup([
          L.geoJSON(geojson, { interactive: false, style: style }),
          L.geoJSON(geojson, { interactive: false, style: style, coordsToLatLng: turnEast })
        ]).addTo(self.map);
        self.basemap.bringToBack();
        self.highlightCountries();
      })
      .catch(function () {
        /* The points still make sense without outlines. */
      });
  };

  /** Tint Japan and the countries that have a partner place on the map. */
  PartnershipMap.prototype.highlightCountries = function () {
    if (!this.basemap) {
      return;
    }
    var partners = this.partnerCountries || {};
    this.basemap.eachLayer(function (copy) { copy.setStyle(function (feature) {
      var iso3 = feature.properties && feature.properties.iso3;
      var fill = COLORS.land;
      if (iso3 === "JPN") {
        fill = COLORS.landJapan;
      } else if (partners[iso3]) {
        fill = COLORS.landPartner;
      }
      return { color: COLORS.border, weight: 0.6, fillColor: fill, fillOpacity: 1 };
    }); });
  };

  PartnershipMap.prototype.load = function (query) {
    var self = this;
    var url = this.element.dataset.geojson + (query ? "?" + query : "");
    this.element.dataset.loaded = "false";
    this.element.setAttribute("aria-busy", "true");
    this.say(this.element.dataset.labelLoading);
    return fetchJson(url)
      .then(function (geojson) {
        self.draw(geojson);
        self.showCaveats(geojson.partial || []);
      })
      .catch(function () {
        self.say(self.element.dataset.labelFailed);
        self.element.dataset.loaded = "error";
      })
      .then(function () {
        self.element.removeAttribute("aria-busy");
      });
  };

  /** Say which filters the data cannot answer in full: the reasons the GeoJSON gives, as the page words them. */
  PartnershipMap.prototype.showCaveats = function (reasons) {
    var box = document.getElementById("map-partial");
    if (!box) {
      return;
    }
    var shown = 0;
    Array.prototype.forEach.call(box.querySelectorAll("[data-caveat]"), function (paragraph) {
      var applies = reasons.indexOf(paragraph.getAttribute("data-caveat")) >= 0;
      paragraph.hidden = !applies;
      shown += applies ? 1 : 0;
    });
    box.hidden = shown === 0;
  };

  PartnershipMap.prototype.popup = function (props) {
    var kindLabel = props.kind === "partner_place" ? this.element.dataset.labelPlace : this.element.dataset.labelGovernment;
    var href = DETAIL_PATHS[props.kind] + encodeURIComponent(props.slug);
    return (
      '<p class="popup-kind">' + escapeHtml(kindLabel) + "</p>" +
      '<p class="popup-name"><a href="' + href + '">' + escapeHtml(localName(props, this.lang)) + "</a></p>" +
      '<p class="popup-meta">' + escapeHtml(this.element.dataset.labelPartnerships) + ": " +
      escapeHtml(props.partnerships) + "</p>"
    );
  };

  PartnershipMap.prototype.draw = function (geojson) {
    var self = this;
    var points = [];
    var lines = [];
    this.overlay.clearLayers();
    this.partnerCountries = {};
    (geojson.features || []).forEach(function (feature) {
      if (feature.geometry.type === "Point") {
        points.push(feature);
      } else if (feature.geometry.type === "LineString") {
        lines.push(feature);
      }
    });
    lines.forEach(function (feature) {
      var latlngs = unwrapLine(feature.geometry.coordinates);
      var current = feature.properties.in_fy2025;
      L.polyline(latlngs, {
        pane: "links",
        className: "c3p-link" + (current ? " c3p-link--current" : ""),
        color: current ? COLORS.lineCurrent : COLORS.line,
        weight: current ? 2 : 1.2,
        opacity: current ? 0.85 : 0.55,
        interactive: false
      }).addTo(self.overlay);
    });
    var bounds = L.latLngBounds([]);
    var governments = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ maxClusterRadius: 36, showCoverageOnHover: false, spiderfyOnMaxZoom: true })
      : self.overlay;
    points.forEach(function (feature) {
      var props = feature.properties;
      var c = feature.geometry.coordinates;
      var latlng = L.latLng(c[1], unwrap(c[0]));
      bounds.extend(latlng);
      if (props.kind === "partner_place") {
        self.partnerCountries[props.country_iso3] = true;
      }
      var marker = L.circleMarker(latlng, {
        className: "c3p-marker c3p-marker--" + props.kind.replace("_", "-"),
        radius: props.kind === "partner_place" ? 6 : 5,
        color: "#ffffff",
        weight: 1.5,
        fillColor: COLORS[props.kind] || COLORS.line,
        fillOpacity: 0.95
      });
      marker.bindTooltip(escapeHtml(localName(props, self.lang)), { direction: "top", offset: [0, -4] });
      marker.bindPopup(self.popup(props));
      marker.addTo(props.kind === "japanese_government" ? governments : self.overlay);
    });
    if (bounds.isValid()) {
      this.map.fitBounds(bounds.pad(0.08), { maxZoom: 6, animate: false });
    }
    if (governments !== self.overlay) {
      governments.addTo(self.overlay); // after the view is set: clusters for the final zoom
    }
    this.highlightCountries();
    this.element.dataset.points = String(points.length);
    this.element.dataset.loaded = "true";
    this.say(points.length + " " + this.element.dataset.labelShown);
  };

  PartnershipMap.prototype.bindForm = function () {
    var self = this;
    var reload = function (event) {
      if (event) {
        event.preventDefault();
      }
      var query = formQuery(self.form);
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", self.form.getAttribute("action") + (query ? "?" + query : ""));
      }
      // Keep the language switch on the filtered map.
      Array.prototype.forEach.call(document.querySelectorAll("a[id^='lang-switch-']"), function (link) {
        var params = new URLSearchParams(query);
        params.set("lang", link.id.replace("lang-switch-", ""));
        link.setAttribute("href", self.form.getAttribute("action") + "?" + params.toString());
      });
      self.load(query);
    };
    this.form.addEventListener("change", reload);
    this.form.addEventListener("submit", reload);
  };

  function start() {
    if (typeof L === "undefined") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll("#map[data-geojson]"), function (element) {
      element.c3pMap = new PartnershipMap(element);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
