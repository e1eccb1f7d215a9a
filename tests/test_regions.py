from corpus.regions import applicable_regions, normalise_region, province_of


def test_regions_include_province_and_cities_never_others():
    assert applicable_regions(None) == ("全国",)
    assert applicable_regions("浙江") == ("全国", "浙江", "杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州")
    assert applicable_regions("杭州市") == ("全国", "浙江", "杭州")
    assert "广东" not in applicable_regions("浙江省")
    assert applicable_regions("西藏") == ("全国", "西藏")


def test_normalise_region():
    assert normalise_region(" 广东省 ") == "广东" and normalise_region("") is None
    assert province_of("深圳") == "广东" and province_of("北京市") == "北京"
